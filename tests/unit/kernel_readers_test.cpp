// The CPU readers (HostCpuReader, CgroupCpuReader, make_cpu_reader) and CgroupContainerMemory's
// peak, cpu_usage_ns and listening_ports, on fixture trees (tests/fixtures/memory/trees), temp
// trees with real /proc/PID/fd symlinks built from captured tables (tests/fixtures/net) and
// the live host.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "os/memory/factory.hpp"
#include "os/memory/readers.hpp"
#include "os/sys/unique_fd.hpp"
#include "support/fixtures.hpp"
#include "temp_tree.hpp"

namespace stagehand::os {
namespace {

using test::TempTree;
using Ports = std::vector<std::uint16_t>;

std::string tree(const std::string& name) {
    return std::string(STAGEHAND_FIXTURES) + "/memory/trees/" + name;
}

using testing::fixture;

std::uint64_t ns_per_tick() {
    return 1'000'000'000ULL / static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
}

MemorySourceChoice cgroup_choice(CgroupVersion version, const std::string& folder) {
    return MemorySourceChoice{CgroupLocation{version, folder}, "test"};
}

TEST(HostCpuReader, BusyTicksAndOnlineCpusFromProcStat) {
    auto t2micro = HostCpuReader(tree("t2micro-v1")).read();
    ASSERT_TRUE(t2micro.ok()) << t2micro.error().message;
    EXPECT_EQ(t2micro->used_ns, (2255342u + 1203 + 402219 + 4380 + 61977) * ns_per_tick());
    EXPECT_DOUBLE_EQ(t2micro->cpus, 1.0);
    EXPECT_EQ(t2micro->source, "host /proc/stat (1 CPU)");

    auto missing = HostCpuReader(tree("al2023")).read();  // that capture has no /proc/stat
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("/proc/stat"), std::string::npos);
}

TEST(HostCpuReader, ReadsThisHost) {
    HostCpuReader reader;
    auto first = reader.read();
    ASSERT_TRUE(first.ok()) << first.error().message;
    // /proc/stat advances by whole ticks (USER_HZ, 10 ms), so burn a known amount of our own
    // CPU time (100 ms, read from the process clock) rather than a fixed number of loops that
    // a fast core finishes inside one tick.
    const auto burnt = [] {
        timespec now{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
        return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
    };
    const auto start = burnt();
    volatile std::uint64_t spin = 0;
    while (burnt() - start < std::chrono::milliseconds(100)) {
        spin = spin + 1;
    }
    auto second = reader.read();
    ASSERT_TRUE(second.ok());
    EXPECT_GT(second->used_ns, first->used_ns);  // we just burnt CPU ourselves
    EXPECT_DOUBLE_EQ(second->cpus, static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN)));
}

TEST(MakeCpuReader, CgroupWithACpuLimit) {
    // v1, Amazon Linux 2 layout: one "cpu,cpuacct" hierarchy found through the mount table.
    auto v1 =
        make_cpu_reader(cgroup_choice(CgroupVersion::v1, "/sys/fs/cgroup/memory/stagehand-t2micro"),
                        tree("t2micro-v1"));
    ASSERT_NE(dynamic_cast<CgroupCpuReader*>(v1.get()), nullptr);
    auto v1_sample = v1->read();
    ASSERT_TRUE(v1_sample.ok()) << v1_sample.error().message;
    EXPECT_EQ(v1_sample->used_ns, 18374829110u);
    EXPECT_DOUBLE_EQ(v1_sample->cpus, 1.0);
    EXPECT_EQ(v1_sample->source, "cgroup v1 /sys/fs/cgroup/cpu,cpuacct/stagehand-t2micro (1 CPU)");

    // v2: stagehand's own cgroup "runner" has no cpu.max; the parent's limit binds.
    auto v2 =
        make_cpu_reader(cgroup_choice(CgroupVersion::v2, "/sys/fs/cgroup/stagehand-t2micro/runner"),
                        tree("t2micro-v2"));
    ASSERT_NE(dynamic_cast<CgroupCpuReader*>(v2.get()), nullptr);
    auto v2_sample = v2->read();
    ASSERT_TRUE(v2_sample.ok()) << v2_sample.error().message;
    EXPECT_EQ(v2_sample->used_ns, 2210044000u);
    EXPECT_DOUBLE_EQ(v2_sample->cpus, 1.0);
}

TEST(MakeCpuReader, HostWhenNothingLimitsTheCpu) {
    const std::string scope = "/sys/fs/cgroup/system.slice";
    EXPECT_NE(dynamic_cast<HostCpuReader*>(
                  make_cpu_reader(cgroup_choice(CgroupVersion::v2, scope), tree("al2023")).get()),
              nullptr);
    EXPECT_NE(dynamic_cast<HostCpuReader*>(
                  make_cpu_reader(MemorySourceChoice{std::nullopt, "meminfo"}, tree("al2")).get()),
              nullptr);
    // v1 container cgroup with quota -1 on itself and no limit files above.
    const std::string docker =
        "/sys/fs/cgroup/memory/docker/"
        "3f2a9c0d5b7e41a6c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
    EXPECT_NE(dynamic_cast<HostCpuReader*>(
                  make_cpu_reader(cgroup_choice(CgroupVersion::v1, docker), tree("al2")).get()),
              nullptr);
}

// This rig's layout: cpu and cpuacct mounted apart, and Docker's cgroupfs driver makes the
// cpuacct folder only when the first container starts.
TEST(MakeCpuReader, SeparateCpuAndCpuacctMountsAndTheTightestAncestor) {
    TempTree t;
    t.write("/proc/self/mountinfo",
            "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
            "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
    t.write("/proc/stat", fixture("proc/stat/debian12-firecracker-6.18-2cpu.txt"));
    t.write("/sys/fs/cgroup/memory/t2/memory.limit_in_bytes", "1073741824\n");
    t.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
    t.write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    t.write("/sys/fs/cgroup/cpu/t2/cpu.cfs_quota_us", "150000\n");
    t.write("/sys/fs/cgroup/cpu/t2/cpu.cfs_period_us", "100000\n");
    auto reader =
        make_cpu_reader(cgroup_choice(CgroupVersion::v1, "/sys/fs/cgroup/memory/t2"), t.root());
    auto empty = reader->read();
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(empty->used_ns, 0u);
    EXPECT_DOUBLE_EQ(empty->cpus, 1.5);
    EXPECT_EQ(empty->source, "cgroup v1 /sys/fs/cgroup/cpu/t2 (1.5 CPUs)");

    t.write("/sys/fs/cgroup/cpuacct/t2/cpuacct.usage", "5000000\n");
    t.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "400000\n");  // 4 CPUs: capped by 2 online
    auto used = reader->read();
    ASSERT_TRUE(used.ok()) << used.error().message;
    EXPECT_EQ(used->used_ns, 5000000u);
    EXPECT_DOUBLE_EQ(used->cpus, 1.5);
    t.write("/sys/fs/cgroup/cpu/t2/cpu.cfs_quota_us", "-1\n");
    EXPECT_DOUBLE_EQ(reader->read()->cpus, 2.0);

    t.write("/sys/fs/cgroup/cpu/t2/cpu.cfs_quota_us", "lots\n");
    auto bad = reader->read();
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("/sys/fs/cgroup/cpu/t2/cpu.cfs_quota_us: quota"),
              std::string::npos)
        << bad.error().message;
}

TEST(MakeCpuReader, TheRigsT2microCgroupOnThisHost) {
    auto choice = detect_memory_source(
        core::MemorySource{core::MemorySourceKind::cgroup, "stagehand-t2micro"});
    if (!choice.ok()) {
        GTEST_SKIP() << "no t2micro cgroup here (rig/t2micro.sh create): "
                     << choice.error().message;
    }
    auto reader = make_cpu_reader(*choice);
    ASSERT_NE(dynamic_cast<CgroupCpuReader*>(reader.get()), nullptr) << choice->reason;
    auto sample = reader->read();
    ASSERT_TRUE(sample.ok()) << sample.error().message;
    EXPECT_DOUBLE_EQ(sample->cpus, 1.0);
    EXPECT_NE(sample->source.find("stagehand-t2micro (1 CPU)"), std::string::npos)
        << sample->source;
}

TEST(CgroupContainerMemory, PeakIsTheKernelsHighWaterMark) {
    auto al2 = CgroupContainerMemory(tree("al2")).peak(4242);  // v1 max_usage_in_bytes
    ASSERT_TRUE(al2.ok()) << al2.error().message;
    EXPECT_EQ(*al2, 367001600);
    auto al2023 = CgroupContainerMemory(tree("al2023")).peak(5151);  // v2 memory.peak
    ASSERT_TRUE(al2023.ok()) << al2023.error().message;
    EXPECT_EQ(*al2023, 234881024);

    TempTree t;  // Linux 5.15, cgroup v2: no memory.peak yet
    t.write("/proc/60/cgroup", "0::/system.slice/docker-a.scope\n");
    t.write("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    t.write("/sys/fs/cgroup/system.slice/docker-a.scope/memory.current", "1000\n");
    CgroupContainerMemory memory(t.root());
    auto none = memory.peak(60);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());
    t.write("/sys/fs/cgroup/system.slice/docker-a.scope/memory.peak", "12x\n");
    auto bad = memory.peak(60);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("docker-a.scope/memory.peak: expected a number"),
              std::string::npos);
    // The container exited: its process and, with it, its cgroup are gone.
    std::filesystem::remove_all(t.root() + "/sys/fs/cgroup/system.slice/docker-a.scope");
    std::filesystem::remove_all(t.root() + "/proc/60");
    auto gone = memory.peak(60);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, ESRCH);
    EXPECT_EQ(CgroupContainerMemory(tree("al2")).peak(999999).error().code, ESRCH);
}

TEST(CgroupContainerMemory, CpuUsageOfTheContainersCgroup) {
    auto al2 = CgroupContainerMemory(tree("al2")).cpu_usage_ns(4242);  // v1 cpuacct.usage
    ASSERT_TRUE(al2.ok()) << al2.error().message;
    EXPECT_EQ(*al2, 7301928311u);
    auto al2023 = CgroupContainerMemory(tree("al2023")).cpu_usage_ns(5151);  // v2 usage_usec
    ASSERT_TRUE(al2023.ok()) << al2023.error().message;
    EXPECT_EQ(*al2023, 4410431000u);
    EXPECT_EQ(CgroupContainerMemory(tree("al2023")).cpu_usage_ns(999999).error().code, ESRCH);

    TempTree t;
    t.write("/proc/61/cgroup", "4:memory:/docker/b\n2:cpuacct:/docker/b\n");
    t.write("/sys/fs/cgroup/memory/docker/b/memory.usage_in_bytes", "1\n");
    t.write("/sys/fs/cgroup/cpuacct/docker/b/cpuacct.usage", "77\n");
    CgroupContainerMemory memory(t.root());
    EXPECT_EQ(*memory.cpu_usage_ns(61), 77u);
    std::filesystem::remove_all(t.root() + "/sys/fs/cgroup/cpuacct/docker/b");
    EXPECT_EQ(memory.cpu_usage_ns(61).error().code, ESRCH);
}

// A v2 container "docker-c.scope" holding `pids`, each with /proc/PID/cgroup.
void container_tree(const TempTree& t, const std::string& pids) {
    t.write("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    t.write("/sys/fs/cgroup/docker-c.scope/cgroup.procs", pids);
    std::istringstream list(pids);
    for (std::string pid; std::getline(list, pid);) {
        t.write("/proc/" + pid + "/cgroup", "0::/docker-c.scope\n");
    }
}

// /proc/PID/fd links as captured (tests/fixtures/net/*/fds: "FD TARGET" a line).
void fd_links(const TempTree& t, int pid, const std::string& fds) {
    std::istringstream lines(fds);
    for (std::string fd, target; lines >> fd >> target;) {
        t.link("/proc/" + std::to_string(pid) + "/fd/" + fd, target);
    }
}

TEST(CgroupContainerMemory, ListeningPortsOfEveryProcessInTheCgroup) {
    // A shell entrypoint (pid 300) forked the server (pid 301): only 301 holds sockets. The
    // namespace's tables also list other processes' listeners (5000, 2024): not the container's.
    const std::string captured = "net/debian12-firecracker-6.18/";
    TempTree t;
    container_tree(t, "300\n301\n");
    for (const int pid : {300, 301}) {
        const std::string proc = "/proc/" + std::to_string(pid);
        t.link(proc + "/ns/net", "net:[4026531833]");
        t.write(proc + "/net/tcp", fixture(captured + "tcp"));
        t.write(proc + "/net/tcp6", fixture(captured + "tcp6"));
    }
    fd_links(t, 300, "0 /dev/null\n1 pipe:[84743]\n");
    fd_links(t, 301, fixture(captured + "fds"));
    CgroupContainerMemory memory(t.root());
    auto ports = memory.listening_ports(300);
    ASSERT_TRUE(ports.ok()) << ports.error().message;
    EXPECT_EQ(*ports, (Ports{5432, 8080, 8443, 9000}));

    // The server is still starting: a socket but no LISTEN row for it yet.
    TempTree early;
    container_tree(early, "310\n");
    early.link("/proc/310/ns/net", "net:[1]");
    early.write("/proc/310/net/tcp", fixture(captured + "tcp"));  // no tcp6: IPv6 is off
    fd_links(early, 310, "0 /dev/null\n3 socket:[84763]\n");      // an ESTABLISHED socket
    auto none = CgroupContainerMemory(early.root()).listening_ports(310);
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_TRUE(none->empty());
}

TEST(CgroupContainerMemory, ListeningPortsReadEachNetworkNamespacesOwnTable) {
    TempTree t;
    container_tree(t, "400\n401\n402\n");  // 402 exited after cgroup.procs was read
    const std::string head = "  sl  local_address rem_address   st\n";
    const std::string tail = " 00000000:00000000 00:00000000 00000000 0 0 ";
    t.link("/proc/400/ns/net", "net:[10]");
    t.link("/proc/401/ns/net", "net:[11]");
    t.write("/proc/400/net/tcp", head + "   0: 00000000:1B58 00000000:0000 0A" + tail + "900 1\n");
    t.write("/proc/401/net/tcp", head + "   0: 00000000:1B59 00000000:0000 0A" + tail + "901 1\n");
    fd_links(t, 400, "3 socket:[900]\n");
    fd_links(t, 401, "3 socket:[901]\n");
    CgroupContainerMemory memory(t.root());
    auto ports = memory.listening_ports(400);
    ASSERT_TRUE(ports.ok()) << ports.error().message;
    EXPECT_EQ(*ports, (Ports{7000, 7001}));

    t.write("/proc/401/net/tcp", head + "   0: 00000000:1B59 garbage\n");
    auto bad = memory.listening_ports(400);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("/proc/401/net/tcp: line 2"), std::string::npos)
        << bad.error().message;

    for (const char* pid : {"/proc/400/fd", "/proc/400/ns", "/proc/401/fd", "/proc/401/ns"}) {
        std::filesystem::remove_all(t.root() + pid);
    }
    auto gone = memory.listening_ports(400);  // every process exited
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, ESRCH);
}

TEST(CgroupContainerMemory, FindsItsOwnListeningPortOnTheLiveHost) {
    // This test process stands in for a container: it listens on an ephemeral port (IPv4) and
    // on another over IPv6, then looks for both through its own pid and cgroup.
    UniqueFd v4(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(v4);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(v4.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t size = sizeof address;
    ASSERT_EQ(::getsockname(v4.get(), reinterpret_cast<sockaddr*>(&address), &size), 0);
    const std::uint16_t port = ntohs(address.sin_port);

    CgroupContainerMemory memory;
    const int self = static_cast<int>(::getpid());
    auto before = memory.listening_ports(self);
    ASSERT_TRUE(before.ok()) << before.error().message;
    EXPECT_EQ(std::count(before->begin(), before->end(), port), 0) << "bound, not listening";

    ASSERT_EQ(::listen(v4.get(), 4), 0);
    auto after = memory.listening_ports(self);
    ASSERT_TRUE(after.ok()) << after.error().message;
    EXPECT_EQ(std::count(after->begin(), after->end(), port), 1);

    UniqueFd v6(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 address6{};
    address6.sin6_family = AF_INET6;
    address6.sin6_addr = in6addr_loopback;
    if (!v6 || ::bind(v6.get(), reinterpret_cast<sockaddr*>(&address6), sizeof address6) != 0) {
        GTEST_SKIP() << "no IPv6 loopback here";
    }
    size = sizeof address6;
    ASSERT_EQ(::getsockname(v6.get(), reinterpret_cast<sockaddr*>(&address6), &size), 0);
    ASSERT_EQ(::listen(v6.get(), 4), 0);
    auto both = memory.listening_ports(self);
    ASSERT_TRUE(both.ok()) << both.error().message;
    EXPECT_EQ(std::count(both->begin(), both->end(), ntohs(address6.sin6_port)), 1);
}

}  // namespace
}  // namespace stagehand::os
