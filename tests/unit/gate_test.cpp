// The start gate, rule by rule, on synthetic snapshots (SPEC section 5).
#include "core/gate/gate.hpp"

#include <gtest/gtest.h>

namespace stagehand::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ServicePlan service(std::string name, Bytes need_mib, std::vector<std::string> deps = {},
                    NeedSource source = NeedSource::declared) {
    ServicePlan plan;
    plan.name = std::move(name);
    plan.need = need_mib * k_mib;
    plan.need_source = source;
    plan.ready_by = ReadySignal::probe;
    plan.timeout = seconds(60);
    for (auto& dep : deps) {
        plan.depends_on.push_back({dep, DependsCondition::service_started, {}});
    }
    return plan;
}

StartPlan make_plan(std::vector<ServicePlan> services, int concurrency = 1) {
    StartPlan plan;
    plan.services = std::move(services);
    plan.gate = Gate::adaptive;
    plan.concurrency = concurrency;
    plan.reserve = MemoryAmount{128 * k_mib, 0, false};
    plan.settle = seconds(5);
    plan.psi = 20;
    plan.sleep = seconds(6);
    return plan;
}

Snapshot make_snapshot(const StartPlan& plan, Bytes available_mib, Millis now = seconds(100)) {
    Snapshot snapshot;
    snapshot.now = now;
    snapshot.total = 1024 * k_mib;
    snapshot.available = available_mib * k_mib;
    snapshot.services.resize(plan.services.size());
    return snapshot;
}

void mark_starting(Snapshot& snapshot, std::size_t i, Bytes memory_mib, Millis started_at) {
    auto& state = snapshot.services[i];
    state.phase = Phase::starting;
    state.started_at = started_at;
    state.exists = state.running = true;
    state.memory.push_back({started_at, memory_mib * k_mib});
}

TEST(Gate, StartsFirstServiceWhenMemoryIsEnough) {
    auto plan = make_plan({service("rabbitmq", 60), service("config", 140, {"rabbitmq"})});
    auto decision = decide(plan, make_snapshot(plan, 900));
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 0u);
}

TEST(Gate, WaitsForDependencyToBeReady) {
    auto plan = make_plan({service("rabbitmq", 60), service("config", 140, {"rabbitmq"})}, 2);
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 30, seconds(99));
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.service, 1u);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::dependency);
    EXPECT_NE(decision.reasons.at(0).text.find("rabbitmq"), std::string::npos);
}

TEST(Gate, ConcurrencyOneStartsStrictlyInOrder) {
    auto plan = make_plan({service("a", 60), service("b", 60)});
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 30, seconds(99));
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::concurrency);
}

TEST(Gate, ConcurrencyTwoSkipsAServiceWaitingOnItsDependency) {
    auto plan = make_plan(
        {service("rabbitmq", 60), service("config", 140, {"rabbitmq"}), service("eureka", 160)}, 2);
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 30, seconds(99));
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 2u);
}

TEST(Gate, MemoryCountsExpectedGrowthOfStartingServices) {
    // available 500, kafka still growing by 245-45=200 -> usable 300 < 180 + 128.
    auto plan = make_plan({service("kafka", 245), service("gateway", 180)}, 2);
    auto snapshot = make_snapshot(plan, 500);
    mark_starting(snapshot, 0, 45, seconds(99));
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.back().kind, ReasonKind::memory);
    EXPECT_NE(decision.reasons.back().text.find("available 500 MiB - 200 MiB still growing"),
              std::string::npos)
        << decision.reasons.back().text;
    snapshot.available = 600 * k_mib;  // 600 - 200 = 400 >= 308
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
}

TEST(Gate, MemoryHeldByTheServicesRunningContainerCountsTowardItsNeed) {
    // kafka's old container holds 200 MiB, which compose frees before the new one starts: it
    // needs 245 - 200 = 45 more, and 45 + 128 fits in 200 where 245 + 128 would not.
    auto plan = make_plan({service("kafka", 245), service("gateway", 180)}, 2);
    const auto before = plan.services[0].need;
    auto snapshot = make_snapshot(plan, 200);
    snapshot.services[0].held = 200 * k_mib;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start) << decision.reasons.at(0).text;
    EXPECT_EQ(decision.service, 0u);
    EXPECT_EQ(plan.services[0].need, before);  // the plan is not rewritten
    snapshot.services[0].held = 100 * k_mib;   // 145 + 128 > 200: nothing can free more
    decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_NE(decision.reasons[0].text.find("holds 100 MiB"), std::string::npos)
        << decision.reasons[0].text;
    // Once started, the new container grows toward the whole need: the old one is gone and
    // available memory already counts what it freed.
    snapshot.available = 500 * k_mib;
    mark_starting(snapshot, 0, 45, seconds(99));
    decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_NE(decision.reasons.back().text.find("available 500 MiB - 200 MiB still growing"),
              std::string::npos)
        << decision.reasons.back().text;
}

TEST(Gate, ReservePercentResolvesAgainstTotal) {
    auto plan = make_plan({service("a", 100)});
    plan.reserve = MemoryAmount{0, 50.0, true};  // 512 MiB of 1024
    // Nothing is starting, so waiting cannot help: a declared need that does not fit fails.
    EXPECT_EQ(decide(plan, make_snapshot(plan, 600)).kind, Decision::Kind::fail);
    EXPECT_EQ(decide(plan, make_snapshot(plan, 612)).kind, Decision::Kind::start);
}

TEST(Gate, MemoryPressureBlocksStart) {
    auto plan = make_plan({service("a", 60), service("b", 60)}, 2);
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 60, seconds(99));
    snapshot.psi_some_avg10 = 35.0;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::pressure);
    plan.psi = 0;  // 0 ignores pressure
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
}

TEST(Gate, DeclaredNeedThatCannotFitFailsAtOnce) {
    auto plan = make_plan({service("a", 60), service("kafka", 600)});
    auto snapshot = make_snapshot(plan, 500);
    snapshot.services[0].phase = Phase::ready;
    snapshot.services[0].started_at = seconds(1);
    snapshot.services[0].running = true;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.service, 1u);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::memory);
    EXPECT_NE(decision.reasons[0].text.find("kafka needs 228 MiB more"), std::string::npos)
        << decision.reasons[0].text;
}

TEST(Gate, DefaultGuessThatCannotFitStartsWithWarning) {
    auto plan = make_plan({service("a", 600, {}, NeedSource::default_guess)});
    auto decision = decide(plan, make_snapshot(plan, 500));
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_TRUE(decision.warning);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::forced);
}

TEST(Gate, CrashedServiceFailsAtOnceNamingIt) {
    auto plan = make_plan({service("kafka", 245), service("consumer", 14, {"kafka"})});
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 100, seconds(90));
    snapshot.services[0].exited = true;
    snapshot.services[0].running = false;
    snapshot.services[0].exit_code = 3;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::crash);
    EXPECT_EQ(decision.reasons[0].text, "kafka exited with code 3");
}

TEST(Gate, OomKilledServiceFailsAtOnce) {
    auto plan = make_plan({service("kafka", 245)});
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 100, seconds(90));
    snapshot.services[0].oom = {core::OomKind::own_limit, "/docker/1", 256 * k_mib, std::nullopt};
    snapshot.services[0].exit_code = 137;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::crash);
    EXPECT_EQ(decision.reasons[0].text,
              "kafka was killed by the kernel's OOM killer (its own limit of 256 MiB)");
}

TEST(Gate, PlainSigkillFailsAtOnceAsSuch) {
    auto plan = make_plan({service("kafka", 245)});
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 100, seconds(90));
    snapshot.services[0].running = false;
    snapshot.services[0].exited = true;
    snapshot.services[0].exit_code = 137;
    snapshot.services[0].oom.kind = core::OomKind::not_oom;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::crash);
    EXPECT_EQ(decision.reasons[0].text,
              "kafka was killed by SIGKILL (exit code 137, not by the OOM killer)");
}

TEST(Gate, OneShotMayExitZeroAndSatisfiesCompletedCondition) {
    auto migrate = service("migrate", 20);
    migrate.one_shot = true;
    auto app = service("app", 100);
    app.depends_on.push_back({"migrate", DependsCondition::service_completed_successfully, {}});
    auto plan = make_plan({migrate, app});
    auto snapshot = make_snapshot(plan, 900);
    mark_starting(snapshot, 0, 10, seconds(95));
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::wait);
    snapshot.services[0].exited = true;
    snapshot.services[0].running = false;
    auto transitions = advance(plan, snapshot);
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_EQ(snapshot.services[0].phase, Phase::completed);
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
}

TEST(Gate, ReadySignalsMoveStartingToReady) {
    auto by_probe = service("a", 10);
    auto by_health = service("b", 10);
    by_health.ready_by = ReadySignal::healthcheck;
    auto by_settle = service("c", 10);
    by_settle.ready_by = ReadySignal::inferred;
    auto plan = make_plan({by_probe, by_health, by_settle}, 3);
    auto snapshot = make_snapshot(plan, 900, seconds(20));
    for (std::size_t i = 0; i < 3; ++i) {
        mark_starting(snapshot, i, 50, seconds(10));
    }
    snapshot.services[0].probe_passed = true;
    snapshot.services[1].health = "healthy";
    snapshot.services[2].memory.push_back({seconds(20), 50 * k_mib + 100});
    snapshot.services[2].cpu_unknown = true;  // settled memory stands in for quiet CPU
    EXPECT_EQ(advance(plan, snapshot).size(), 3u);
    for (const auto& state : snapshot.services) {
        EXPECT_EQ(state.phase, Phase::ready);
    }
}

TEST(Gate, MemoryStillGrowingHasNotSettled) {
    ServiceState state;
    state.started_at = seconds(0);
    state.memory = {{seconds(0), 10 * k_mib}, {seconds(4), 40 * k_mib}, {seconds(9), 60 * k_mib}};
    EXPECT_FALSE(memory_settled(state, seconds(9), seconds(5)));
    state.memory.push_back({seconds(14), 61 * k_mib});  // +1.7% since t=9
    EXPECT_TRUE(memory_settled(state, seconds(14), seconds(5)));
    EXPECT_FALSE(memory_settled(state, seconds(3), seconds(5)));  // too early
}

TEST(Gate, StartTimeoutFailsOrProceeds) {
    auto plan = make_plan({service("chat", 245), service("gesture", 20)});
    auto snapshot = make_snapshot(plan, 900, seconds(100));
    mark_starting(snapshot, 0, 200, seconds(30));  // 70 s > 60 s timeout
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::timeout);
    EXPECT_NE(decision.reasons[0].text.find("chat not ready after 60.0s"), std::string::npos);

    plan.services[0].on_timeout = OnTimeout::proceed;
    auto transitions = advance(plan, snapshot);
    ASSERT_EQ(transitions.size(), 1u);
    EXPECT_TRUE(transitions[0].warning);
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
}

TEST(Gate, GateWaitTimeoutFails) {
    auto plan = make_plan({service("a", 10), service("b", 10, {"a"})}, 2);
    auto snapshot = make_snapshot(plan, 900, seconds(100));
    mark_starting(snapshot, 0, 5, seconds(95));
    snapshot.services[1].waiting_since = seconds(30);
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::timeout);
    EXPECT_NE(decision.reasons[0].text.find("waited 60.0s to start b"), std::string::npos);
}

TEST(Gate, SleepGateWaitsExactlyTheSleep) {
    auto plan = make_plan({service("a", 10), service("b", 10)});
    plan.gate = Gate::sleep;
    auto snapshot = make_snapshot(plan, 10, seconds(10));  // memory is ignored
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
    mark_starting(snapshot, 0, 5, seconds(10));
    snapshot.last_start = seconds(10);
    snapshot.now = milliseconds(15999);
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::wait);
    EXPECT_EQ(decide(plan, snapshot).reasons.at(0).kind, ReasonKind::sleep);
    snapshot.now = seconds(16);
    auto decision = decide(plan, snapshot);
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 1u);
}

TEST(Gate, NoneGateStartsEverythingThenWaitsForReady) {
    auto plan = make_plan({service("a", 500), service("b", 500, {"a"})});
    plan.gate = Gate::none;
    auto snapshot = make_snapshot(plan, 100);
    mark_starting(snapshot, 0, 5, seconds(99));
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
    mark_starting(snapshot, 1, 5, seconds(99));
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::wait);
    snapshot.services[0].phase = snapshot.services[1].phase = Phase::ready;
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::done);
}

TEST(Gate, ExternalDependencyMustBeRunning) {
    auto plan = make_plan({service("config", 140, {"rabbitmq"})});
    plan.external_dependencies = {"rabbitmq"};
    auto snapshot = make_snapshot(plan, 900);
    snapshot.external_running["rabbitmq"] = false;
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::fail);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::external);
    EXPECT_NE(decision.reasons[0].text.find("rabbitmq"), std::string::npos);
    snapshot.external_running["rabbitmq"] = true;
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);
}

}  // namespace
}  // namespace stagehand::core
