// The /proc and cgroup parsers on fixtures from real hosts (tests/fixtures/proc,
// tests/fixtures/memory) and on hostile input.
#include "os/memory/parsers.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

using core::Bytes;
using core::k_kib;

using testing::fixture;

struct MeminfoCase {
    std::string file;
    Bytes total;
    Bytes available;
};

TEST(MemoryParsers, MeminfoFromRealHosts) {
    const std::vector<MeminfoCase> cases = {
        {"proc/meminfo/debian12-firecracker-6.18.txt", 24684084 * k_kib, 21651672 * k_kib},
        {"proc/meminfo/al2-4.14-t2micro.txt", 1006708 * k_kib, 602416 * k_kib},
        {"proc/meminfo/al2023-6.1-t3micro.txt", 949448 * k_kib, 487320 * k_kib},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto figures = parse_meminfo(fixture(c.file));
        ASSERT_TRUE(figures.ok()) << figures.error().message;
        EXPECT_EQ(figures->total, c.total);
        EXPECT_EQ(figures->available, c.available);
    }
}

struct BadCase {
    std::string name;
    std::string text;
    std::string message_part;
};

TEST(MemoryParsers, MeminfoRejectsHostileInput) {
    const std::vector<BadCase> cases = {
        {"truncated file", fixture("proc/meminfo/hostile-truncated.txt"), "MemAvailable"},
        {"kernel before 3.14", fixture("proc/meminfo/centos6-2.6.32-no-memavailable.txt"),
         "no MemAvailable"},
        {"empty", "", "no MemTotal"},
        {"garbage", "\x01\x02\xff garbage\n::::\n", "no MemTotal"},
        {"not a number", "MemTotal: lots kB\nMemAvailable: 1 kB\n", "expected a number"},
        {"negative", "MemTotal: 100 kB\nMemAvailable: -5 kB\n", "expected a number"},
        {"no unit", "MemTotal: 100\nMemAvailable: 50 kB\n", "expected \"<number> kB\""},
        {"overflows bytes", "MemTotal: 9007199254740993 kB\nMemAvailable: 1 kB\n", "out of range"},
        {"overflows 64 bits", "MemTotal: 99999999999999999999999 kB\nMemAvailable: 1 kB\n",
         "out of range"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto figures = parse_meminfo(c.text);
        ASSERT_FALSE(figures.ok());
        EXPECT_NE(figures.error().message.find(c.message_part), std::string::npos)
            << figures.error().message;
    }
}

TEST(MemoryParsers, MeminfoFirstKeyWinsAndOrderDoesNotMatter) {
    auto figures = parse_meminfo("MemAvailable:  20 kB\nMemTotal: 30 kB\nMemTotal: 99 kB\n");
    ASSERT_TRUE(figures.ok());
    EXPECT_EQ(figures->total, 30 * k_kib);
    EXPECT_EQ(figures->available, 20 * k_kib);
}

TEST(MemoryParsers, PsiFromRealHosts) {
    auto here = parse_psi_some_avg10(fixture("proc/pressure/debian12-firecracker-6.18.txt"));
    ASSERT_TRUE(here.ok()) << here.error().message;
    EXPECT_GE(*here, 0.0);
    auto al2023 = parse_psi_some_avg10(fixture("proc/pressure/al2023-6.1.txt"));
    ASSERT_TRUE(al2023.ok());
    EXPECT_DOUBLE_EQ(*al2023, 1.25);
    // The "full" line comes second and must not be taken.
    auto only_some = parse_psi_some_avg10(
        "full avg10=9.00 avg60=0 avg300=0 total=0\n"
        "some avg10=42.50 avg60=1.00 avg300=0.00 total=1\n");
    ASSERT_TRUE(only_some.ok());
    EXPECT_DOUBLE_EQ(*only_some, 42.5);
}

TEST(MemoryParsers, PsiRejectsHostileInput) {
    const std::vector<BadCase> cases = {
        {"empty", "", "no \"some\" line"},
        {"full only", "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "no \"some\" line"},
        {"no avg10", "some avg60=0.00 total=0\n", "no avg10"},
        {"truncated", "some avg10=", "expected a percentage"},
        {"garbage", "some avg10=abc avg60=0.00\n", "expected a percentage"},
        {"negative", "some avg10=-1.00 avg60=0.00\n", "expected a percentage"},
        {"over 100", "some avg10=250.00 avg60=0.00\n", "expected a percentage"},
        {"nan", "some avg10=nan avg60=0.00\n", "expected a percentage"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto value = parse_psi_some_avg10(c.text);
        ASSERT_FALSE(value.ok());
        EXPECT_NE(value.error().message.find(c.message_part), std::string::npos)
            << value.error().message;
    }
}

struct LimitCase {
    std::string text;
    std::optional<Bytes> limit;
};

TEST(MemoryParsers, CgroupLimits) {
    const std::vector<LimitCase> cases = {
        {"max\n", std::nullopt},
        {"1073741824\n", Bytes{1} << 30},
        {"0\n", 0},
        {"9223372036854771712\n", std::nullopt},   // v1, 4 KiB pages
        {"9223372036854710272\n", std::nullopt},   // v1, 64 KiB pages (arm64)
        {"18446744073709551615\n", std::nullopt},  // 2^64 - 1
        {fixture("memory/captured/debian12-firecracker-v1/memory.limit_in_bytes"), std::nullopt},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto limit = parse_cgroup_limit(c.text);
        ASSERT_TRUE(limit.ok()) << limit.error().message;
        EXPECT_EQ(*limit, c.limit);
    }
    for (const std::string bad : {"", "\n", "unlimited", "-1", "1 073 741 824", "1e9",
                                  "18446744073709551616", "max max", "12abc"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_cgroup_limit(bad).ok());
    }
}

TEST(MemoryParsers, CgroupByteCounts) {
    auto captured = parse_cgroup_bytes(
        fixture("memory/captured/debian12-firecracker-v1/memory.usage_in_bytes"));
    ASSERT_TRUE(captured.ok()) << captured.error().message;
    EXPECT_GT(*captured, 0);
    auto padded = parse_cgroup_bytes("  187236352 \n");
    ASSERT_TRUE(padded.ok());
    EXPECT_EQ(*padded, 187236352);
    for (const std::string bad : {"", "max", "-4096", "9223372036854775808", "0x10", "1.5"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_cgroup_bytes(bad).ok());
    }
}

TEST(MemoryParsers, MemoryStatKeys) {
    const std::string v1 = fixture("memory/captured/debian12-firecracker-v1/memory.stat");
    auto total_inactive = parse_keyed_value(v1, "total_inactive_file");
    auto own_inactive = parse_keyed_value(v1, "inactive_file");
    ASSERT_TRUE(total_inactive.ok()) << total_inactive.error().message;
    ASSERT_TRUE(own_inactive.ok());
    EXPECT_GE(*total_inactive, *own_inactive);  // total_ includes descendants

    const std::string v2 = fixture(
        "memory/trees/al2023/sys/fs/cgroup/system.slice/"
        "docker-9b1e7c2d4f6a48b0a1c3e5f7092b4d6f8a0c2e4f6a8b0c2d4e6f8a0b2c4d6e8f.scope/"
        "memory.stat");
    auto inactive = parse_keyed_value(v2, "inactive_file");
    ASSERT_TRUE(inactive.ok());
    EXPECT_EQ(*inactive, 20971520);

    // A prefix of another key does not match ("file" vs "file_mapped"; "inactive_file" is not
    // found inside "total_inactive_file").
    auto file = parse_keyed_value("file_mapped 5\nfile 7\n", "file");
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(*file, 7);
    EXPECT_FALSE(parse_keyed_value("total_inactive_file 5\n", "inactive_file").ok());
    EXPECT_FALSE(parse_keyed_value("", "inactive_file").ok());
    EXPECT_FALSE(parse_keyed_value("inactive_file\n", "inactive_file").ok());
    EXPECT_FALSE(parse_keyed_value("inactive_file lots\n", "inactive_file").ok());
    EXPECT_FALSE(parse_keyed_value("inactive_file 99999999999999999999\n", "inactive_file").ok());
}

struct ProcCgroupCase {
    std::string file;
    std::optional<std::string> v1_memory;
    std::optional<std::string> unified;
};

TEST(MemoryParsers, ProcCgroupFromRealHosts) {
    const std::string id = "3f2a9c0d5b7e41a6c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5";
    const std::vector<ProcCgroupCase> cases = {
        {"proc/cgroup/debian12-firecracker-hybrid.txt",
         "/process_api/a8191f88e8214a660a1ba5db4b5a9007", "/"},
        {"proc/cgroup/al2-codedeploy-agent.txt", "/system.slice/codedeploy-agent.service",
         std::nullopt},
        {"proc/cgroup/al2-docker-container.txt", "/docker/" + id, std::nullopt},
        {"proc/cgroup/al2023-codedeploy-agent.txt", std::nullopt,
         "/system.slice/codedeploy-agent.service"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        auto parsed = parse_proc_cgroup(fixture(c.file));
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed->v1_memory, c.v1_memory);
        EXPECT_EQ(parsed->unified, c.unified);
    }
}

TEST(MemoryParsers, ProcCgroupEdgeCases) {
    // Memory co-mounted with another controller; a path with ':' in it; blank lines.
    auto comounted = parse_proc_cgroup("\n5:cpu,memory:/a:b\n\n0::/x (deleted)\n");
    ASSERT_TRUE(comounted.ok()) << comounted.error().message;
    EXPECT_EQ(comounted->v1_memory, "/a:b");
    EXPECT_EQ(comounted->unified, "/x (deleted)");
    auto none = parse_proc_cgroup("1:name=systemd:/\n");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->v1_memory || none->unified);
    for (const std::string bad :
         {"garbage\n", "4:memory\n", "x:memory:/a\n", "4:memory:relative\n", "0::\n"}) {
        SCOPED_TRACE(bad);
        auto parsed = parse_proc_cgroup(bad);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find("line 1"), std::string::npos);
    }
}

}  // namespace
}  // namespace stagehand::os
