// validate-service's pure decisions (SPEC section 7) and the crash rule it shares with the
// gate: tables of container states and attempt results against the verdict kinds.
#include "core/validate/validate_decision.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/model/container.hpp"

namespace stagehand::core {
namespace {

using std::chrono::seconds;

constexpr int k_sigkill_exit = 137;

ContainerFacts running() {
    return {};
}

ContainerFacts exited(int code) {
    ContainerFacts facts;
    facts.exited = true;
    facts.exit_code = code;
    return facts;
}

ContainerFacts killed(OomKind kind, bool restarted_by_policy) {
    ContainerFacts facts = exited(k_sigkill_exit);
    facts.exited = !restarted_by_policy;
    facts.oom.kind = kind;
    return facts;
}

struct CrashRow {
    const char* name;
    ContainerFacts facts;
    CleanExit clean_exit;
    CrashKind want;
};

TEST(CrashKind, OneRuleForTheGateAndValidate) {
    ContainerFacts restarting = exited(2);
    restarting.exited = false;
    restarting.restarting = true;
    ContainerFacts dead = exited(0);
    dead.dead = true;
    const std::vector<CrashRow> rows = {
        {"running", running(), CleanExit::crash, CrashKind::none},
        {"exit 0, must keep running", exited(0), CleanExit::crash, CrashKind::exited},
        {"exit 0, one-shot or validate", exited(0), CleanExit::completes, CrashKind::none},
        {"exit 1", exited(1), CleanExit::completes, CrashKind::exited},
        {"exit 1, must keep running", exited(1), CleanExit::crash, CrashKind::exited},
        {"restarting", restarting, CleanExit::completes, CrashKind::restarting},
        {"dead with code 0", dead, CleanExit::completes, CrashKind::exited},
        {"OOM-killed", killed(OomKind::own_limit, false), CleanExit::completes,
         CrashKind::oom_killed},
        {"OOM-killed, running again", killed(OomKind::system_wide, true), CleanExit::crash,
         CrashKind::oom_killed},
        {"SIGKILL not by the OOM killer", killed(OomKind::not_oom, false), CleanExit::completes,
         CrashKind::exited},
        {"SIGKILL, cannot tell", killed(OomKind::unknown, false), CleanExit::completes,
         CrashKind::exited},
    };
    for (const auto& row : rows) {
        EXPECT_EQ(crash_kind(row.facts, row.clean_exit), row.want) << row.name;
    }
}

// One round of a check that has held since 0 s, judged at 3 s (stable 10 s, interval 1 s),
// whose container "c1" had restarted once when last seen.
struct RoundRow {
    const char* name;
    std::optional<ContainerSeen> container;
    std::optional<bool> probe_passed;
    CheckVerdictKind want;
    WindowReset want_reset;
};

ValidateTiming timing() {
    return ValidateTiming{seconds(60), seconds(1), seconds(10)};
}

CheckWindow holding_window() {
    CheckWindow window;
    window.held_since = seconds(0);
    window.next_due = seconds(3);
    window.attempts = 3;
    window.container_id = "c1";
    window.restart_count = 1;
    return window;
}

ContainerSeen seen(std::string id, int restarts, ContainerFacts facts) {
    return {std::move(id), restarts, facts};
}

TEST(ValidateDecision, ContainerStatesByAttemptResults) {
    const auto same = seen("c1", 1, running());
    const auto restarted = seen("c1", 2, running());
    const auto recreated = seen("c2", 0, running());
    const auto crashed = seen("c1", 1, exited(1));
    const auto clean_exit = seen("c1", 1, exited(0));
    const auto oom = seen("c1", 2, killed(OomKind::own_limit, true));
    using K = CheckVerdictKind;
    using R = WindowReset;
    const std::vector<RoundRow> rows = {
        {"not listed, no attempt", std::nullopt, std::nullopt, K::waiting, R::none},
        {"not listed, passed", std::nullopt, true, K::holding, R::none},
        {"not listed, failed", std::nullopt, false, K::failing, R::none},
        {"same container, no attempt", same, std::nullopt, K::waiting, R::none},
        {"same container, passed", same, true, K::holding, R::none},
        {"same container, failed", same, false, K::failing, R::none},
        {"restarted, no attempt", restarted, std::nullopt, K::waiting, R::restarted},
        {"restarted, passed", restarted, true, K::holding, R::restarted},
        {"restarted, failed", restarted, false, K::failing, R::restarted},
        {"recreated, passed", recreated, true, K::holding, R::recreated},
        {"crashed, no attempt", crashed, std::nullopt, K::crashed, R::none},
        {"crashed, passed", crashed, true, K::crashed, R::none},
        {"crashed, failed", crashed, false, K::crashed, R::none},
        // A clean exit is the `running` check's to report, not a crash.
        {"exited 0, failed", clean_exit, false, K::failing, R::none},
        {"OOM-killed and restarted, passed", oom, true, K::oom_killed, R::none},
        {"OOM-killed and restarted, no attempt", oom, std::nullopt, K::oom_killed, R::none},
    };
    for (const auto& row : rows) {
        CheckWindow window = holding_window();
        const ContainerSeen* container = row.container ? &*row.container : nullptr;
        const CheckVerdict verdict =
            judge_check(window, timing(), seconds(3), container, row.probe_passed);
        EXPECT_EQ(verdict.kind, row.want) << row.name << ": got " << to_string(verdict.kind);
        EXPECT_EQ(verdict.reset, row.want_reset) << row.name;
    }
}

TEST(ValidateDecision, ARestartStartsTheWindowOverAtThisAttempt) {
    CheckWindow window = holding_window();
    const auto restarted = seen("c1", 2, running());
    const CheckVerdict verdict = judge_check(window, timing(), seconds(3), &restarted, true);
    EXPECT_EQ(verdict.held, seconds(0));
    ASSERT_TRUE(window.held_since.has_value());
    EXPECT_EQ(*window.held_since, seconds(3));
    EXPECT_EQ(window.restart_count, 2);
    EXPECT_EQ(window.attempts, 4);
}

TEST(ValidateDecision, PassesOnceHeldForStableAndNeverSchedulesPastTheWindow) {
    CheckWindow window;
    window.held_since = seconds(0);
    ValidateTiming t = timing();
    t.interval = seconds(4);
    CheckVerdict verdict = judge_check(window, t, seconds(8), nullptr, true);
    EXPECT_EQ(verdict.kind, CheckVerdictKind::holding);
    EXPECT_EQ(verdict.held, seconds(8));
    EXPECT_EQ(window.next_due, seconds(10));  // not 12 s: the window completes at 10 s
    verdict = judge_check(window, t, seconds(10), nullptr, true);
    EXPECT_EQ(verdict.kind, CheckVerdictKind::passed);
    EXPECT_EQ(verdict.held, seconds(10));
}

TEST(ValidateDecision, AFailureSaysHowLongItHadHeldAndBacksOff) {
    CheckWindow window = holding_window();
    CheckVerdict verdict = judge_check(window, timing(), seconds(3), nullptr, false);
    EXPECT_EQ(verdict.kind, CheckVerdictKind::failing);
    EXPECT_EQ(verdict.held, seconds(3));
    EXPECT_FALSE(window.held_since.has_value());
    EXPECT_EQ(window.next_due, seconds(4));
    verdict = judge_check(window, timing(), seconds(4), nullptr, false);
    EXPECT_EQ(verdict.held, seconds(0));
    EXPECT_EQ(window.next_due, seconds(6));  // 2 s after the second failure in a row
    judge_check(window, timing(), seconds(6), nullptr, true);
    EXPECT_EQ(window.failures, 0);
}

TEST(ValidateDecision, BackoffDoublesUpToItsCap) {
    EXPECT_EQ(backoff(seconds(1), 1), seconds(1));
    EXPECT_EQ(backoff(seconds(1), 2), seconds(2));
    EXPECT_EQ(backoff(seconds(1), 3), seconds(4));
    EXPECT_EQ(backoff(seconds(1), 4), seconds(5));
    EXPECT_EQ(backoff(seconds(1), 40), seconds(5));
    EXPECT_EQ(backoff(seconds(8), 3), seconds(8));  // an interval above the cap is the cap
}

struct RunRow {
    const char* name;
    std::size_t pending;
    bool failed_at_once;
    int now_s;
    int deadline_s;
    RunVerdict want;
};

TEST(ValidateDecision, WhenTheStepEnds) {
    const std::vector<RunRow> rows = {
        {"checks pending, time left", 2, false, 30, 3600, RunVerdict::going},
        {"all settled", 0, false, 30, 3600, RunVerdict::settled},
        {"one failed at once", 2, true, 30, 3600, RunVerdict::settled},
        {"settled at the timeout", 0, false, 60, 3600, RunVerdict::settled},
        {"validate.timeout", 2, false, 60, 3600, RunVerdict::timed_out},
        {"the run's deadline first", 2, false, 20, 20, RunVerdict::deadline},
        {"deadline at the timeout", 2, false, 60, 60, RunVerdict::timed_out},
    };
    for (const auto& row : rows) {
        EXPECT_EQ(judge_run(row.pending, row.failed_at_once, seconds(row.now_s), timing(),
                            seconds(row.deadline_s)),
                  row.want)
            << row.name;
    }
}

}  // namespace
}  // namespace stagehand::core
