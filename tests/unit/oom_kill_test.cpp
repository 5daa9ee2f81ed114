// The OOM-kill classification (SPEC section 5): the kernel's counters parsed from fixtures,
// read around a container's death from before/after fixture trees (tests/fixtures/memory/oom)
// for each kind, the rule's edge cases on plain values, and the words the verdicts use.
#include <string>

#include <gtest/gtest.h>

#include "core/oom/oom_kill.hpp"
#include "fake_oom_counters.hpp"
#include "os/memory/oom_counters.hpp"
#include "os/memory/oom_parsers.hpp"
#include "steps/oom/oom_watch.hpp"
#include "support/fixtures.hpp"
#include "support/null_log.hpp"

namespace stagehand {
namespace {

using core::OomKind;

using testing::fixture;

TEST(OomParsers, VmstatOomKillFromARealHost) {
    auto kills = os::parse_vmstat_oom_kill(fixture("proc/vmstat/debian12-firecracker-6.18.txt"));
    ASSERT_TRUE(kills.ok()) << kills.error().message;
    EXPECT_EQ(*kills, 2);
    // The first line that is exactly "oom_kill": not a longer name that starts with it.
    EXPECT_EQ(*os::parse_vmstat_oom_kill("oom_kill_other 9\noom_kill 4\n"), 4);
    auto old = os::parse_vmstat_oom_kill("nr_free_pages 1\npgfault 2\n");
    ASSERT_FALSE(old.ok());
    EXPECT_NE(old.error().message.find("no oom_kill line"), std::string::npos);
}

TEST(OomParsers, MemoryEvents) {
    auto events = os::parse_memory_events(fixture("memory/oom/files/v2-memory.events-6.1.txt"));
    ASSERT_TRUE(events.ok()) << events.error().message;
    EXPECT_EQ(events->oom, 3);
    EXPECT_EQ(events->oom_kill, 2);
    auto older = os::parse_memory_events(fixture("memory/oom/files/v2-memory.events-5.10.txt"));
    ASSERT_TRUE(older.ok()) << older.error().message;
    EXPECT_EQ(older->oom_kill, 1);
}

TEST(OomParsers, OomControl) {
    auto rig = os::parse_oom_control(
        fixture("memory/captured/debian12-firecracker-v1/memory.oom_control"));
    ASSERT_TRUE(rig.ok()) << rig.error().message;
    EXPECT_FALSE(rig->under_oom);
    EXPECT_EQ(rig->oom_kill, 0);
    // Before Linux 4.13 there is no oom_kill line: not an error, no counter.
    auto old = os::parse_oom_control(fixture("memory/oom/files/v1-oom_control-4.9.txt"));
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_TRUE(old->under_oom);
    EXPECT_FALSE(old->oom_kill.has_value());
}

TEST(OomParsers, HostileInputIsAnErrorNamingTheKey) {
    const struct {
        std::string file;
        bool events;
        std::string expected;
    } cases[] = {
        {"hostile-negative.events", true, "oom: expected a number"},
        {"hostile-truncated.events", true, "no oom_kill line"},
        {"hostile-overflow.oom_control", false, "oom_kill: number out of range"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file);
        const std::string text = fixture("memory/oom/files/" + c.file);
        const std::string error = c.events ? os::parse_memory_events(text).error().message
                                           : os::parse_oom_control(text).error().message;
        EXPECT_NE(error.find(c.expected), std::string::npos) << error;
    }
    EXPECT_FALSE(os::parse_oom_control("").ok());
    EXPECT_FALSE(os::parse_memory_events("oom\noom_kill\n").ok());
}

// Reads the case's counters the way the start loop does: while the container runs (`before`
// tree, its main process is pid 4242), then after it died (`after` tree).
core::OomVerdict classify_case(const std::string& name, int exit_code, bool docker_flag) {
    const std::string root = std::string(STAGEHAND_FIXTURES) + "/memory/oom/" + name;
    os::KernelOomCounters running(root + "/before");
    auto before = running.read(4242);
    EXPECT_TRUE(before.ok()) << before.error().message;
    if (!before.ok()) {
        return {};
    }
    os::KernelOomCounters dead(root + "/after");
    return core::classify_oom(*before, dead.read_again(*before), {exit_code, docker_flag});
}

TEST(OomKill, ReaderFindsTheContainersCgroupAndEveryParent) {
    const std::string root = std::string(STAGEHAND_FIXTURES) + "/memory/oom/v1-parent-limit";
    auto counters = os::KernelOomCounters(root + "/before").read(4242);
    ASSERT_TRUE(counters.ok()) << counters.error().message;
    EXPECT_EQ(counters->cgroup_version, 1);
    EXPECT_EQ(counters->host_oom_kill, 0);
    ASSERT_EQ(counters->levels.size(), 2u);
    EXPECT_EQ(counters->levels[0].cgroup, "/stagehand-t2micro/3f2a9c0d1e");
    EXPECT_FALSE(counters->levels[0].limit.has_value());
    EXPECT_EQ(counters->levels[1].cgroup, "/stagehand-t2micro");
    EXPECT_EQ(counters->levels[1].limit, core::k_gib);
    const auto after = os::KernelOomCounters(root + "/after").read_again(*counters);
    EXPECT_EQ(after.host_oom_kill, 1);
    ASSERT_EQ(after.levels.size(), 2u);
    EXPECT_FALSE(after.levels[0].readable) << "Docker removed the dead container's cgroup";
    EXPECT_TRUE(after.levels[1].readable);
    EXPECT_FALSE(os::KernelOomCounters(root + "/after").read(4242).ok());
}

TEST(OomKill, SystemWideWhenNoLimitOnThePathWasReached) {
    for (const auto* name : {"v2-system-wide", "v1-system-wide"}) {
        SCOPED_TRACE(name);
        auto verdict = classify_case(name, 137, false);
        EXPECT_EQ(verdict.kind, OomKind::system_wide);
        verdict.available = 38 * core::k_mib;
        EXPECT_EQ(core::describe_exit("chat-service", verdict, 137),
                  "chat-service was killed by the kernel's OOM killer (system-wide: the host "
                  "ran out of memory; available was 38 MiB)");
    }
}

TEST(OomKill, OwnLimit) {
    for (const auto* name : {"v2-own-limit", "v1-own-limit"}) {
        SCOPED_TRACE(name);
        // v2 decides without Docker's flag (it is unreliable there, VM.md).
        const bool flag = std::string(name).rfind("v1", 0) == 0;
        const auto verdict = classify_case(name, 137, flag);
        EXPECT_EQ(verdict.kind, OomKind::own_limit);
    }
    const auto v2 = classify_case("v2-own-limit", 137, false);
    EXPECT_EQ(v2.limit, 256 * core::k_mib);
    EXPECT_EQ(core::describe_exit("chat-service", v2, 137),
              "chat-service was killed by the kernel's OOM killer (its own limit of 256 MiB)");
}

TEST(OomKill, ParentLimit) {
    for (const auto* name : {"v2-parent-limit", "v1-parent-limit"}) {
        SCOPED_TRACE(name);
        const auto verdict = classify_case(name, 137, true);
        EXPECT_EQ(verdict.kind, OomKind::parent_limit);
        EXPECT_EQ(verdict.limit_cgroup, "/stagehand-t2micro");
        EXPECT_EQ(core::describe_exit("kafka", verdict, 137),
                  "kafka was killed by the kernel's OOM killer (the limit of its parent cgroup "
                  "/stagehand-t2micro: 1024 MiB)");
    }
    // v2 knows from memory.events.local, without Docker's flag.
    EXPECT_EQ(classify_case("v2-parent-limit", 137, false).kind, OomKind::parent_limit);
}

TEST(OomKill, PlainSigkillIsNotAnOomKill) {
    for (const bool flag : {false, true}) {
        const auto verdict = classify_case("v2-sigkill", 137, flag);
        EXPECT_EQ(verdict.kind, OomKind::not_oom) << flag;
        EXPECT_EQ(core::describe_exit("chat-service", verdict, 137),
                  "chat-service was killed by SIGKILL (exit code 137, not by the OOM killer)");
    }
}

TEST(OomKill, V1BystanderSharingTheLimitedParentIsNotTheVictim) {
    // Docker 20.10 flags it OOMKilled; the OOM killer took someone else (the host's count
    // grew), and its own cgroup, still readable, counted nothing.
    EXPECT_EQ(classify_case("v1-bystander", 137, true).kind, OomKind::not_oom);
    // Exiting later for another reason with the flag set: no kill at all.
    EXPECT_EQ(classify_case("v1-parent-limit", 1, true).kind, OomKind::none);
}

TEST(OomKill, WithoutCountersDockersFlagIsAllThereIs) {
    core::OomCounters after;
    after.host_oom_kill = 3;
    EXPECT_EQ(core::classify_oom(std::nullopt, after, {137, true}).kind, OomKind::reported);
    const auto unknown = core::classify_oom(std::nullopt, after, {137, false});
    EXPECT_EQ(unknown.kind, OomKind::unknown);
    EXPECT_FALSE(core::is_oom_kill(unknown.kind));
    EXPECT_EQ(core::describe_exit("db", unknown, 137),
              "db was killed by SIGKILL (exit code 137; no OOM counters from before it died to "
              "tell whether the OOM killer did it)");
    core::OomCounters before;  // a kernel without /proc/vmstat oom_kill (before 4.13)
    EXPECT_EQ(core::classify_oom(before, after, {137, true}).kind, OomKind::reported);
    EXPECT_EQ(core::describe_exit("db", {OomKind::none, "", 0, std::nullopt}, 3),
              "db exited with code 3");
}

TEST(OomKill, V2NearestParentThatCountedNoKillRulesItOut) {
    // The OOM killer killed a process elsewhere on the host (vmstat grew) while this container
    // got SIGKILL: system.slice, which counts kills below it, counted none.
    core::OomLevel own{"/system.slice/docker-1.scope", "", std::nullopt, true, 0, 0, 0};
    core::OomLevel parent{"/system.slice", "", std::nullopt, true, 5, 0, 0};
    const core::OomCounters before{2, 10, {own, parent}};
    core::OomLevel gone = own;
    gone.readable = false;
    const core::OomCounters after{2, 11, {gone, parent}};
    EXPECT_EQ(core::classify_oom(before, after, {137, false}).kind, OomKind::not_oom);
    auto counted = after;
    counted.levels[1].oom_kill = 6;
    EXPECT_EQ(core::classify_oom(before, counted, {137, false}).kind, OomKind::system_wide);
}

TEST(OomKill, NeverSeenRunningTheHostsCountAndDockersFlagDecide) {
    // Killed within a moment of its start, before its cgroup was read.
    const core::OomCounters before{0, 3, {}};
    const core::OomCounters after{0, 4, {}};
    EXPECT_EQ(core::classify_oom(before, after, {137, false}).kind, OomKind::system_wide);
    const auto flagged = core::classify_oom(before, after, {137, true});
    EXPECT_EQ(flagged.kind, OomKind::reported);
    EXPECT_EQ(core::describe_exit("kafka", flagged, 137),
              "kafka was killed by the kernel's OOM killer (a cgroup memory limit, as Docker's "
              "OOMKilled flag says)");
    EXPECT_EQ(core::classify_oom(before, before, {137, true}).kind, OomKind::not_oom);
}

os::ContainerState container(bool running, int exit_code, const std::string& finished) {
    os::ContainerState state;
    state.id = "c1";
    state.service = "chat-service";
    state.running = running;
    state.pid = running ? 77 : 0;
    state.exit_code = exit_code;
    state.finished_at = finished;
    return state;
}

TEST(OomWatch, ReadsWhileRunningAndClassifiesEachDeathOnce) {
    testing::FakeOomCounters kernel;
    testing::NullLog log;
    steps::OomWatch watch(&kernel, log);
    watch.tick(core::Millis(0), 400 * core::k_mib);
    EXPECT_EQ(watch.observe(container(true, 0, ""), core::Millis(0)).kind, OomKind::none);
    EXPECT_EQ(kernel.reads, 1);
    watch.observe(container(true, 0, ""), core::Millis(1000));
    EXPECT_EQ(kernel.reads, 1) << "read again before the refresh interval";
    watch.tick(core::Millis(2000), 38 * core::k_mib);
    kernel.oom_kill();
    const auto dead = container(false, 137, "2024-05-01T10:00:02Z");
    const auto verdict = watch.observe(dead, core::Millis(2500));
    EXPECT_EQ(verdict.kind, OomKind::system_wide);
    EXPECT_EQ(verdict.available, 38 * core::k_mib);
    const int rereads = kernel.rereads;
    EXPECT_EQ(watch.observe(dead, core::Millis(3000)).kind, OomKind::system_wide);
    EXPECT_EQ(kernel.rereads, rereads) << "one death, one classification";
}

TEST(OomWatch, ContainerDeadAtFirstSightIsJudgedOnTheHostsCount) {
    testing::FakeOomCounters kernel;
    testing::NullLog log;
    steps::OomWatch watch(&kernel, log);
    watch.tick(core::Millis(0), std::nullopt);
    kernel.oom_kill();
    EXPECT_EQ(watch.observe(container(false, 137, "t1"), core::Millis(500)).kind,
              OomKind::system_wide);
    steps::OomWatch quiet(&kernel, log);
    quiet.tick(core::Millis(0), std::nullopt);
    EXPECT_EQ(quiet.observe(container(false, 137, "t1"), core::Millis(500)).kind, OomKind::not_oom);
    EXPECT_EQ(quiet.observe(container(false, 1, "t2"), core::Millis(600)).kind, OomKind::none);
}

TEST(OomKill, KindNames) {
    EXPECT_STREQ(core::to_string(OomKind::parent_limit), "parent_limit");
    EXPECT_TRUE(core::is_oom_kill(OomKind::system_wide));
    EXPECT_TRUE(core::is_oom_kill(OomKind::reported));
    EXPECT_FALSE(core::is_oom_kill(OomKind::not_oom));
    EXPECT_FALSE(core::is_oom_kill(OomKind::none));
}

}  // namespace
}  // namespace stagehand
