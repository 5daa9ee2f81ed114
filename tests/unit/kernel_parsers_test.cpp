// The CPU and listening-socket parsers (os/memory/cpu_parsers, socket_parsers) on fixtures
// captured from real hosts (tests/fixtures/proc/stat, tests/fixtures/net) and hostile input.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "os/memory/cpu_parsers.hpp"
#include "os/memory/parsers.hpp"
#include "os/memory/socket_parsers.hpp"
#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

using testing::fixture;

struct StatCase {
    std::string file;
    std::uint64_t busy;  // user + nice + system + irq + softirq + steal (guest is in user)
    int cpus;
};

TEST(CpuParsers, ProcStatFromRealHosts) {
    const std::vector<StatCase> cases = {
        {"proc/stat/debian12-firecracker-6.18-2cpu.txt", 110239 + 12743 + 13789 + 0 + 114 + 202, 2},
        {"proc/stat/al2-4.14-t2micro-1cpu.txt", 2255342 + 1203 + 402219 + 4380 + 61977, 1},
        {"proc/stat/centos6-2.6.32-9fields.txt", 88231 + 40215 + 81 + 3301, 2},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto stat = parse_proc_stat(fixture(c.file));
        ASSERT_TRUE(stat.ok()) << stat.error().message;
        EXPECT_EQ(stat->busy_ticks, c.busy);
        EXPECT_EQ(stat->online_cpus, c.cpus);
    }
}

TEST(CpuParsers, ProcStatHostileInput) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"proc/stat/hostile-not-a-number.txt", "cpu line: expected a number, got \"x\""},
        {"proc/stat/hostile-no-cpu-line.txt", "no aggregate \"cpu\" line"},
        {"proc/stat/hostile-too-few-fields.txt", "expected at least 4 numbers"},
        {"proc/stat/hostile-overflow.txt", "out of range"},
    };
    for (const auto& [file, message] : cases) {
        SCOPED_TRACE(file);
        auto stat = parse_proc_stat(fixture(file));
        ASSERT_FALSE(stat.ok());
        EXPECT_NE(stat.error().message.find(message), std::string::npos) << stat.error().message;
    }
    EXPECT_FALSE(parse_proc_stat("").ok());
    EXPECT_FALSE(parse_proc_stat(std::string("cpu  1 2\0 3 4\n", 15)).ok());
    // "cpufreq" or "cpu-x" lines are not CPUs.
    auto odd = parse_proc_stat("cpu  1 0 1 5\ncpufreq 3\ncpu- 1\ncpu0 1 0 1 5\n");
    ASSERT_TRUE(odd.ok());
    EXPECT_EQ(odd->online_cpus, 1);
    EXPECT_EQ(odd->busy_ticks, 2u);
}

TEST(CpuParsers, CgroupLimits) {
    auto none = parse_cpu_max("max 100000\n");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    auto one_and_half = parse_cpu_max("150000 100000\n");
    ASSERT_TRUE(one_and_half.ok());
    EXPECT_DOUBLE_EQ(**one_and_half, 1.5);
    auto v1 = parse_cfs_quota("100000\n", "100000\n");
    ASSERT_TRUE(v1.ok());
    EXPECT_DOUBLE_EQ(**v1, 1.0);
    auto v1_none = parse_cfs_quota("-1\n", "100000\n");
    ASSERT_TRUE(v1_none.ok());
    EXPECT_FALSE(v1_none->has_value());

    for (const char* bad : {"", "max", "100000", "lots 100000", "1 2 3", "100000 0", "0 100000",
                            "-5 100000", "max -1"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_cpu_max(bad).ok());
    }
    EXPECT_FALSE(parse_cfs_quota("-2", "100000").ok());
    EXPECT_FALSE(parse_cfs_quota("100000", "").ok());
    EXPECT_FALSE(parse_cfs_quota("100000", "0").ok());
    auto named = parse_cpu_max("x 100000");
    ASSERT_FALSE(named.ok());
    EXPECT_NE(named.error().message.find("quota: expected a number or \"max\", got \"x\""),
              std::string::npos);
}

TEST(CpuParsers, CgroupUsage) {
    auto v2 = parse_cpu_stat_usage_ns(
        fixture("memory/trees/t2micro-v2/sys/fs/cgroup/stagehand-t2micro/cpu.stat"));
    ASSERT_TRUE(v2.ok()) << v2.error().message;
    EXPECT_EQ(*v2, 18374829000u);
    auto v1 = parse_cpuacct_usage_ns("18374829110\n");
    ASSERT_TRUE(v1.ok());
    EXPECT_EQ(*v1, 18374829110u);

    EXPECT_FALSE(parse_cpu_stat_usage_ns("user_usec 5\n").ok());
    EXPECT_FALSE(parse_cpu_stat_usage_ns("usage_usec\n").ok());
    EXPECT_FALSE(parse_cpu_stat_usage_ns("usage_usec 18446744073709552\n").ok());  // * 1000
    EXPECT_FALSE(parse_cpuacct_usage_ns("-1").ok());
    EXPECT_FALSE(parse_cpuacct_usage_ns("").ok());
}

TEST(CpuParsers, ProcCgroupFindsTheCpuHierarchies) {
    auto combined = parse_proc_cgroup(fixture("proc/cgroup/al2-docker-container.txt"));
    ASSERT_TRUE(combined.ok());
    ASSERT_TRUE(combined->v1_cpu && combined->v1_cpuacct);
    EXPECT_EQ(*combined->v1_cpu, *combined->v1_cpuacct);
    EXPECT_EQ(combined->v1_cpuacct->substr(0, 8), "/docker/");
    auto apart = parse_proc_cgroup("2:cpuacct:/a\n1:cpu:/b\n4:memory:/c\n");
    ASSERT_TRUE(apart.ok());
    EXPECT_EQ(apart->v1_cpu, "/b");
    EXPECT_EQ(apart->v1_cpuacct, "/a");
    auto v2 = parse_proc_cgroup(fixture("proc/cgroup/al2023-docker-container.txt"));
    ASSERT_TRUE(v2.ok());
    EXPECT_FALSE(v2->v1_cpu || v2->v1_cpuacct);
}

TEST(SocketParsers, ListenersFromARealHost) {
    // Captured on the rig host (6.18) with listeners on 0.0.0.0:8080, 127.0.0.1:9000,
    // [::]:8443 (dual stack) and [::1]:5432, plus ESTABLISHED, TIME_WAIT, FIN_WAIT2 and
    // CLOSE_WAIT rows, and a v4-mapped ESTABLISHED row in tcp6.
    auto v4 = parse_tcp_listeners(fixture("net/debian12-firecracker-6.18/tcp"));
    ASSERT_TRUE(v4.ok()) << v4.error().message;
    const std::vector<std::pair<std::uint64_t, std::uint16_t>> expected_v4 = {
        {10044, 5000}, {1081, 2024}, {84757, 8080}, {84758, 9000}};
    ASSERT_EQ(v4->size(), expected_v4.size());
    for (std::size_t i = 0; i < expected_v4.size(); ++i) {
        EXPECT_EQ((*v4)[i].inode, expected_v4[i].first);
        EXPECT_EQ((*v4)[i].port, expected_v4[i].second);
    }
    auto v6 = parse_tcp_listeners(fixture("net/debian12-firecracker-6.18/tcp6"));
    ASSERT_TRUE(v6.ok()) << v6.error().message;
    ASSERT_EQ(v6->size(), 2u);
    EXPECT_EQ((*v6)[0].port, 8443);
    EXPECT_EQ((*v6)[0].inode, 84759u);
    EXPECT_EQ((*v6)[1].port, 5432);
    EXPECT_EQ((*v6)[1].inode, 84760u);
}

TEST(SocketParsers, ListenerEdgeCases) {
    // A v4-mapped listener (what a dual-stack Java server shows for 0.0.0.0 bound via ::),
    // no header line, CRLF and trailing blanks.
    auto mapped = parse_tcp_listeners(
        "   0: 0000000000000000FFFF00000100007F:FFFF 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 77 1 0 100 0 0 10 0\r\n\n");
    ASSERT_TRUE(mapped.ok()) << mapped.error().message;
    ASSERT_EQ(mapped->size(), 1u);
    EXPECT_EQ((*mapped)[0].port, 65535);
    EXPECT_EQ((*mapped)[0].inode, 77u);
    auto header_only = parse_tcp_listeners(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n");
    ASSERT_TRUE(header_only.ok());
    EXPECT_TRUE(header_only->empty());
}

TEST(SocketParsers, HostileTables) {
    const std::string row_tail = " 00000000:00000000 00:00000000 00000000     0        0 5 1";
    const std::vector<std::string> bad = {
        "   0: 00000000:1F90 00000000:0000 0A",              // truncated
        "   0: 0000000:1F90 00000000:0000 0A" + row_tail,    // 7-digit address
        "   0: 00000000:1F9 00000000:0000 0A" + row_tail,    // 3-digit port
        "   0: 0000000G:1F90 00000000:0000 0A" + row_tail,   // not hex
        "   0: 00000000:1F90 00000000:0000 0AA" + row_tail,  // state
        "   0 00000000:1F90 00000000:0000 0A" + row_tail,    // no colon after sl
        "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:0 0 0 0 -5 1",  // inode
        std::string("   0: 00000000:1F\0 00000000:0000 0A", 35) + row_tail,        // NUL
    };
    for (const auto& table : bad) {
        SCOPED_TRACE(table);
        auto parsed = parse_tcp_listeners("  sl  local_address\n" + table + "\n");
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find("line 2: expected \"SL: LOCAL REMOTE ST"),
                  std::string::npos)
            << parsed.error().message;
    }
}

TEST(SocketParsers, SocketLinksAndPidLists) {
    EXPECT_EQ(parse_socket_link("socket:[84757]"), 84757u);
    for (const char* other : {"pipe:[84743]", "/dev/null", "anon_inode:[eventfd]", "socket:[]",
                              "socket:[12", "socket:[-1]", "socket:[1x]", "socket:[1]]", ""}) {
        SCOPED_TRACE(other);
        EXPECT_FALSE(parse_socket_link(other).has_value());
    }
    auto pids = parse_pid_list("4242\n4301\n\n");
    ASSERT_TRUE(pids.ok());
    EXPECT_EQ(*pids, (std::vector<int>{4242, 4301}));
    auto empty = parse_pid_list("");
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
    for (const char* bad : {"0\n", "12\nabc\n", "-4\n", "99999999999\n"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_pid_list(bad).ok());
    }
    auto named = parse_pid_list("12\nabc\n");
    ASSERT_FALSE(named.ok());
    EXPECT_NE(named.error().message.find("line 2: expected a pid, got \"abc\""), std::string::npos);
}

}  // namespace
}  // namespace stagehand::os
