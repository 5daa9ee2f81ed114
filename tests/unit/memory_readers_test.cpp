// MeminfoReader, CgroupMemoryReader, CgroupContainerMemory and memory_source detection, on
// fixture root trees (tests/fixtures/memory/trees: Amazon Linux 2 and 2023, the rig's
// t2.micro cgroup, this host captured) and on the live host.
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "os/memory/factory.hpp"
#include "os/memory/readers.hpp"
#include "temp_tree.hpp"

namespace stagehand::os {
namespace {

using core::Bytes;
using core::k_kib;
using core::MemorySource;
using core::MemorySourceKind;

const std::string k_al2_container =
    "3f2a9c0d5b7e41a6c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
const std::string k_al2023_container =
    "9b1e7c2d4f6a48b0a1c3e5f7092b4d6f8a0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f";

std::string tree(const std::string& name) {
    return std::string(STAGEHAND_FIXTURES) + "/memory/trees/" + name;
}

MemorySource auto_source() {
    return MemorySource{};
}
MemorySource cgroup_source(const std::string& folder) {
    return MemorySource{MemorySourceKind::cgroup, folder};
}

using test::TempTree;

TEST(MeminfoReader, ReadsFixtureTrees) {
    auto al2 = MeminfoReader(tree("al2")).read();
    ASSERT_TRUE(al2.ok()) << al2.error().message;
    EXPECT_EQ(al2->total, 1006708 * k_kib);
    EXPECT_EQ(al2->available, 602416 * k_kib);
    EXPECT_FALSE(al2->psi_some_avg10.has_value());  // 4.14: no PSI, and that is no error
    EXPECT_EQ(al2->source, "meminfo");

    auto al2023 = MeminfoReader(tree("al2023")).read();
    ASSERT_TRUE(al2023.ok()) << al2023.error().message;
    EXPECT_EQ(al2023->total, 949448 * k_kib);
    ASSERT_TRUE(al2023->psi_some_avg10.has_value());
    EXPECT_DOUBLE_EQ(*al2023->psi_some_avg10, 1.25);
}

TEST(MeminfoReader, ReportsBrokenFilesByName) {
    TempTree t;
    EXPECT_FALSE(MeminfoReader(t.root()).read().ok());  // no meminfo at all
    t.write("/proc/meminfo", "MemTotal: 100 kB\nMemAvailable: 50 kB\n");
    t.write("/proc/pressure/memory", "some avg10=oops\n");
    auto bad_psi = MeminfoReader(t.root()).read();
    ASSERT_FALSE(bad_psi.ok());
    EXPECT_NE(bad_psi.error().message.find("/proc/pressure/memory"), std::string::npos)
        << bad_psi.error().message;
    t.write("/proc/meminfo", "MemTotal: 100 kB\n");
    auto bad = MeminfoReader(t.root()).read();
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find(t.root() + "/proc/meminfo: no MemAvailable"),
              std::string::npos)
        << bad.error().message;
}

TEST(MeminfoReader, ReadsThisHostThroughLibproc2) {
    std::ifstream in("/proc/meminfo");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto expected = parse_meminfo(text);
    ASSERT_TRUE(expected.ok());
    MeminfoReader reader;
    auto snapshot = reader.read();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
    EXPECT_EQ(snapshot->total, expected->total);  // MemTotal does not move
    EXPECT_GT(snapshot->available, 0);
    EXPECT_LE(snapshot->available, snapshot->total);
    EXPECT_EQ(snapshot->psi_some_avg10.has_value(),
              std::filesystem::exists("/proc/pressure/memory"));
    EXPECT_EQ(reader.describe(), "meminfo");
}

struct CgroupCase {
    std::string tree;
    CgroupLocation location;
    Bytes total;
    Bytes available;
    std::optional<double> psi;
    std::string source;
};

TEST(CgroupMemoryReader, ComputesLimitMinusUsageMinusInactiveFile) {
    const std::string t2v2 = "/sys/fs/cgroup/stagehand-t2micro";
    const std::string agent = "/sys/fs/cgroup/memory/system.slice/codedeploy-agent.service";
    const std::vector<CgroupCase> cases = {
        // 1 GiB - (700 MiB - 50 MiB inactive file); PSI of the cgroup itself.
        {"t2micro-v2", {CgroupVersion::v2, t2v2}, 1073741824, 392167424, 12.5, "cgroup v2 " + t2v2},
        // The limit sits on the parent; PSI still comes from our own cgroup.
        {"t2micro-v2",
         {CgroupVersion::v2, t2v2 + "/runner"},
         1073741824,
         392167424,
         7.25,
         "cgroup v2 " + t2v2 + "/runner (limit of " + t2v2 + ")"},
        // v1: 1 GiB - (500 MiB - 60 MiB total_inactive_file); v1 has no cgroup PSI and the
        // 4.14 host none either.
        {"t2micro-v1",
         {CgroupVersion::v1, "/sys/fs/cgroup/memory/stagehand-t2micro"},
         1073741824,
         612368384,
         std::nullopt,
         "cgroup v1 /sys/fs/cgroup/memory/stagehand-t2micro"},
        // No limit anywhere: the host's figures.
        {"al2",
         {CgroupVersion::v1, agent},
         1006708 * k_kib,
         602416 * k_kib,
         std::nullopt,
         "cgroup v1 " + agent + " (no limit: host meminfo)"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.source);
        CgroupMemoryReader reader(c.location, std::make_unique<MeminfoReader>(tree(c.tree)),
                                  tree(c.tree));
        auto snapshot = reader.read();
        ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
        EXPECT_EQ(snapshot->total, c.total);
        EXPECT_EQ(snapshot->available, c.available);
        EXPECT_EQ(snapshot->psi_some_avg10, c.psi);
        EXPECT_EQ(snapshot->source, c.source);
        EXPECT_EQ(reader.describe(), describe(c.location));
    }
}

TEST(CgroupMemoryReader, HostFiguresCapTheCgroup) {
    TempTree t;
    t.write("/proc/meminfo", "MemTotal: 524288 kB\nMemAvailable: 102400 kB\n");  // 512/100 MiB
    t.write("/sys/fs/cgroup/cgroup.controllers", "memory\n");
    t.write("/sys/fs/cgroup/big/memory.max", "2147483648\n");
    t.write("/sys/fs/cgroup/big/memory.current", "1048576\n");
    t.write("/sys/fs/cgroup/big/memory.stat", "inactive_file 0\n");
    t.write("/sys/fs/cgroup/big/memory.pressure", "some avg10=0.00 avg60=0.00\n");
    CgroupMemoryReader reader({CgroupVersion::v2, "/sys/fs/cgroup/big"},
                              std::make_unique<MeminfoReader>(t.root()), t.root());
    auto snapshot = reader.read();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
    EXPECT_EQ(snapshot->total, 512 * core::k_mib);
    EXPECT_EQ(snapshot->available, 100 * core::k_mib);

    // Usage above the limit (possible for a moment on v1) gives 0, not a negative figure.
    t.write("/sys/fs/cgroup/big/memory.max", "1048576\n");
    t.write("/sys/fs/cgroup/big/memory.current", "5242880\n");
    auto over = reader.read();
    ASSERT_TRUE(over.ok());
    EXPECT_EQ(over->available, 0);

    // The cgroup was removed under us: an error naming the file.
    std::filesystem::remove_all(t.root() + "/sys/fs/cgroup/big");
    auto gone = reader.read();
    ASSERT_FALSE(gone.ok());
    EXPECT_NE(gone.error().message.find("/sys/fs/cgroup/big/memory.max"), std::string::npos);
}

struct DetectCase {
    std::string tree;
    MemorySource source;
    std::optional<CgroupLocation> expected;
    std::string reason_part;
};

TEST(DetectMemorySource, ChoosesPerHost) {
    const std::vector<DetectCase> cases = {
        {"al2", auto_source(), std::nullopt, "has no limit below MemTotal"},
        {"al2023", auto_source(), std::nullopt, "has no limit below MemTotal"},
        {"debian12-firecracker", auto_source(), std::nullopt, "has no limit below MemTotal"},
        {"t2micro-v2", auto_source(),
         CgroupLocation{CgroupVersion::v2, "/sys/fs/cgroup/stagehand-t2micro/runner"},
         // MemTotal 24684084 kB is 24105.55 MiB: rounded like every other MiB in messages.
         "limit 1024 MiB < MemTotal 24106 MiB"},
        {"t2micro-v1", auto_source(),
         CgroupLocation{CgroupVersion::v1, "/sys/fs/cgroup/memory/stagehand-t2micro"},
         "limit 1024 MiB"},
        // /proc/self/cgroup names a host path; the container sees its cgroup at the mount root.
        {"container-v1-no-cgroupns", auto_source(),
         CgroupLocation{CgroupVersion::v1, "/sys/fs/cgroup/memory"}, "limit 512 MiB"},
        {"broken", auto_source(), std::nullopt, "unreadable"},
        {"t2micro-v2", MemorySource{MemorySourceKind::meminfo, ""}, std::nullopt,
         "memory_source: meminfo"},
        {"al2023", cgroup_source("/sys/fs/cgroup/system.slice"),
         CgroupLocation{CgroupVersion::v2, "/sys/fs/cgroup/system.slice"}, "no limit"},
        {"al2", cgroup_source("/sys/fs/cgroup/memory/docker/" + k_al2_container),
         CgroupLocation{CgroupVersion::v1, "/sys/fs/cgroup/memory/docker/" + k_al2_container},
         "cgroup v1"},
        {"t2micro-v2", cgroup_source("/sys/fs/cgroup/stagehand-t2micro/"),
         CgroupLocation{CgroupVersion::v2, "/sys/fs/cgroup/stagehand-t2micro/"}, "limit 1024 MiB"},
        // A relative folder: the same stagehand.yml on a v1 and on a v2 host.
        {"t2micro-v1", cgroup_source("stagehand-t2micro"),
         CgroupLocation{CgroupVersion::v1, "/sys/fs/cgroup/memory/stagehand-t2micro"},
         "limit 1024 MiB"},
        {"t2micro-v2", cgroup_source("stagehand-t2micro"),
         CgroupLocation{CgroupVersion::v2, "/sys/fs/cgroup/stagehand-t2micro"}, "limit 1024 MiB"},
        {"al2023", cgroup_source("system.slice"),
         CgroupLocation{CgroupVersion::v2, "/sys/fs/cgroup/system.slice"}, "no limit"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.tree + " " + c.source.cgroup_path);
        auto choice = detect_memory_source(c.source, tree(c.tree));
        ASSERT_TRUE(choice.ok()) << choice.error().message;
        ASSERT_EQ(choice->cgroup.has_value(), c.expected.has_value()) << choice->reason;
        if (c.expected) {
            EXPECT_EQ(choice->cgroup->version, c.expected->version);
            EXPECT_EQ(choice->cgroup->folder, c.expected->folder);
        }
        EXPECT_NE(choice->reason.find(c.reason_part), std::string::npos) << choice->reason;
    }
}

TEST(DetectMemorySource, ExplicitCgroupErrorsNameTheFolderAndWhatIsMissing) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/sys/fs/cgroup/nope", "memory_source cgroup:/sys/fs/cgroup/nope: no such folder"},
        {"nope", "memory_source cgroup:nope: no such folder under /sys/fs/cgroup"},
        {"", "expected a folder"},
        {"/sys/fs/cgroup/not-a-cgroup", "not a memory cgroup"},
        {"/sys/fs/cgroup/half",
         "cgroup:/sys/fs/cgroup/half: missing memory.current, memory.stat (is the memory "
         "controller enabled"},
        {"/sys/fs/cgroup/no-memory-controller", "missing memory.max, memory.current, memory.stat"},
        {"/sys/fs/cgroup/garbage", "memory.max: expected a number or \"max\", got \"lots\""},
        {"/sys/fs/cgroup/no-inactive", "memory.stat: no inactive_file line"},
    };
    for (const auto& [folder, message] : cases) {
        SCOPED_TRACE(folder);
        auto choice = detect_memory_source(cgroup_source(folder), tree("broken"));
        ASSERT_FALSE(choice.ok());
        EXPECT_NE(choice.error().message.find(message), std::string::npos)
            << choice.error().message;
        EXPECT_FALSE(make_memory_reader(cgroup_source(folder), tree("broken")).ok());
    }
}

TEST(MakeMemoryReader, BuildsTheChosenReader) {
    auto cgroup = make_memory_reader(auto_source(), tree("t2micro-v1"));
    ASSERT_TRUE(cgroup.ok()) << cgroup.error().message;
    EXPECT_EQ((*cgroup)->describe(), "cgroup v1 /sys/fs/cgroup/memory/stagehand-t2micro");
    auto snapshot = (*cgroup)->read();
    ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
    EXPECT_EQ(snapshot->available, 612368384);

    auto meminfo = make_memory_reader(auto_source(), tree("al2023"));
    ASSERT_TRUE(meminfo.ok());
    EXPECT_EQ((*meminfo)->describe(), "meminfo");

    auto here = make_memory_reader(auto_source());  // this host, whatever it is
    ASSERT_TRUE(here.ok()) << here.error().message;
    auto live = (*here)->read();
    ASSERT_TRUE(live.ok()) << live.error().message;
    EXPECT_GT(live->available, 0);
}

TEST(CgroupContainerMemory, UsageMinusInactiveFile) {
    // v1, cgroupfs driver: 315.8 MiB usage - 40 MiB total_inactive_file.
    auto al2 = CgroupContainerMemory(tree("al2")).usage(4242);
    ASSERT_TRUE(al2.ok()) << al2.error().message;
    EXPECT_EQ(*al2, 331165696 - 41943040);
    // v2, systemd driver: 204 MiB - 20 MiB inactive_file.
    auto al2023 = CgroupContainerMemory(tree("al2023")).usage(5151);
    ASSERT_TRUE(al2023.ok()) << al2023.error().message;
    EXPECT_EQ(*al2023, 213909504 - 20971520);
}

TEST(CgroupContainerMemory, ProcessGoneIsAnExpectedRace) {
    auto gone = CgroupContainerMemory(tree("al2023")).usage(999999);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, ESRCH);
    EXPECT_NE(gone.error().message.find("999999"), std::string::npos);

    TempTree t;
    t.write("/proc/77/cgroup", "0::/system.slice/docker-x.scope\n");
    t.write("/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
    t.write("/sys/fs/cgroup/system.slice/docker-x.scope/memory.stat", "inactive_file 0\n");
    auto broken = CgroupContainerMemory(t.root()).usage(77);  // no memory.current
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.error().code, ESRCH);
    EXPECT_NE(broken.error().message.find("docker-x.scope/memory.current"), std::string::npos)
        << broken.error().message;
    t.write("/proc/78/cgroup", "garbage\n");
    auto garbage = CgroupContainerMemory(t.root()).usage(78);
    ASSERT_FALSE(garbage.ok());
    EXPECT_NE(garbage.error().message.find("/proc/78/cgroup: line 1"), std::string::npos);
}

TEST(CgroupContainerMemory, AZombieAtTheRootCgroupIsGoneNotTheWholeHost) {
    // cgroup v1 reports "memory:/" for an exited, unreaped container process: reading the root
    // would give host-wide usage as that container's peak (seen in the OOM integration test).
    TempTree t;
    t.write("/proc/90/cgroup", "11:memory:/\n1:name=systemd:/\n");
    t.write("/proc/self/mountinfo",
            "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
    t.write("/sys/fs/cgroup/memory/memory.usage_in_bytes", "8000000000\n");
    t.write("/sys/fs/cgroup/memory/memory.stat", "total_inactive_file 0\n");
    auto v1 = CgroupContainerMemory(t.root()).usage(90);
    ASSERT_FALSE(v1.ok());
    EXPECT_EQ(v1.error().code, ESRCH);

    t.write("/proc/91/cgroup", "0::/\n");
    auto v2 = CgroupContainerMemory(t.root()).usage(91);
    ASSERT_FALSE(v2.ok());
    EXPECT_EQ(v2.error().code, ESRCH);
}

TEST(CgroupContainerMemory, ReadsThisProcessOnTheLiveHost) {
    // Our own process stands in for a container's main process.
    auto usage = CgroupContainerMemory().usage(static_cast<int>(::getpid()));
    ASSERT_TRUE(usage.ok()) << usage.error().message;
    EXPECT_GT(*usage, 0);
}

}  // namespace
}  // namespace stagehand::os
