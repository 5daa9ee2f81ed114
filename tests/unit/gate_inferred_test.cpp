// Inferred readiness, concurrency auto and critical-path order (SPEC section 5), on synthetic
// snapshots: the kernel facts (listening ports, cgroup CPU time, memory) set by hand.
#include <gtest/gtest.h>

#include <map>

#include "core/gate/cpu_window.hpp"
#include "core/gate/gate.hpp"
#include "core/gate/quiet_edge.hpp"

namespace stagehand::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ServicePlan inferred(std::string name, std::vector<std::uint16_t> ports = {},
                     std::vector<std::string> deps = {}) {
    ServicePlan plan;
    plan.name = std::move(name);
    plan.need = 100 * k_mib;
    plan.need_source = NeedSource::declared;
    plan.ready_by = ReadySignal::inferred;
    plan.ports = std::move(ports);
    plan.timeout = seconds(60);
    for (auto& dep : deps) {
        plan.depends_on.push_back({dep, DependsCondition::service_started, {}});
    }
    return plan;
}

StartPlan plan_of(std::vector<ServicePlan> services) {
    StartPlan plan;
    plan.services = std::move(services);
    plan.concurrency = k_concurrency_auto;
    plan.max_concurrency = 4;
    plan.quiet = 10;
    plan.reserve = MemoryAmount{64 * k_mib, 0, false};
    plan.settle = seconds(1);
    return plan;
}

Snapshot snapshot_of(const StartPlan& plan, Millis now) {
    Snapshot snapshot;
    snapshot.now = now;
    snapshot.total = 1024 * k_mib;
    snapshot.available = 900 * k_mib;
    snapshot.services.resize(plan.services.size());
    return snapshot;
}

// A running service started at t=0, sampled every 500 ms up to `now`: `cpu_share` of one CPU
// busy, memory flat at 50 MiB.
void run_for(ServiceState& state, Millis now, double cpu_share) {
    state.phase = Phase::starting;
    state.started_at = Millis(0);
    state.exists = state.running = true;
    state.memory.clear();
    state.cpu.clear();
    for (Millis at{0}; at <= now; at += milliseconds(500)) {
        state.memory.push_back({at, 50 * k_mib});
        state.cpu.push_back(
            {at, static_cast<std::uint64_t>(cpu_share * static_cast<double>(at.count()) * 1e6)});
    }
}

Transition ready_transition(const StartPlan& plan, Snapshot& snapshot) {
    auto transitions = advance(plan, snapshot);
    EXPECT_EQ(transitions.size(), 1u);
    return transitions.empty() ? Transition{} : transitions[0];
}

TEST(GateInferred, ListeningEarlyButBurningCpuIsNotReady) {
    auto plan = plan_of({inferred("gateway", {8080})});
    auto snapshot = snapshot_of(plan, seconds(5));
    run_for(snapshot.services[0], seconds(5), 0.9);
    snapshot.services[0].listening = std::vector<std::uint16_t>{8080};
    EXPECT_TRUE(advance(plan, snapshot).empty());
    EXPECT_EQ(snapshot.services[0].phase, Phase::starting);
}

TEST(GateInferred, ListeningOnAllDeclaredPortsAndQuietIsReadySayingWhy) {
    auto plan = plan_of({inferred("gateway", {8080, 9090})});
    auto snapshot = snapshot_of(plan, seconds(3));
    run_for(snapshot.services[0], seconds(3), 0.02);
    snapshot.services[0].listening = std::vector<std::uint16_t>{8080};
    EXPECT_TRUE(advance(plan, snapshot).empty()) << "9090 is declared and not listening yet";
    snapshot.services[0].listening = std::vector<std::uint16_t>{22, 8080, 9090};
    const auto ready = ready_transition(plan, snapshot);
    EXPECT_EQ(ready.signals, "listening 8080 9090, cpu quiet");
    EXPECT_NE(ready.message.find("ready (listening 8080 9090, cpu quiet) after 3.0s"),
              std::string::npos)
        << ready.message;
}

TEST(GateInferred, LateListenerWithNoDeclaredPortsIsReadyWhenItListens) {
    // Quiet while it waits on something, memory still growing: neither listening nor settled.
    auto plan = plan_of({inferred("jvm")});
    auto snapshot = snapshot_of(plan, seconds(4));
    run_for(snapshot.services[0], seconds(4), 0.01);
    for (std::size_t k = 0; k < snapshot.services[0].memory.size(); ++k) {
        snapshot.services[0].memory[k].bytes = static_cast<Bytes>(50 + 10 * k) * k_mib;
    }
    snapshot.services[0].listening = std::vector<std::uint16_t>{};
    EXPECT_TRUE(advance(plan, snapshot).empty());
    snapshot.services[0].listening = std::vector<std::uint16_t>{8761};
    EXPECT_EQ(ready_transition(plan, snapshot).signals, "listening 8761, cpu quiet");
}

TEST(GateInferred, WorkerThatNeverListensIsReadyWhenQuietAndSettled) {
    auto plan = plan_of({inferred("consumer")});
    auto snapshot = snapshot_of(plan, seconds(3));
    run_for(snapshot.services[0], seconds(3), 0.5);
    snapshot.services[0].listening = std::vector<std::uint16_t>{};
    EXPECT_TRUE(advance(plan, snapshot).empty()) << "still busy";
    run_for(snapshot.services[0], seconds(3), 0.05);
    snapshot.services[0].listening = std::vector<std::uint16_t>{};
    EXPECT_EQ(ready_transition(plan, snapshot).signals, "cpu quiet, memory settled");
}

TEST(GateInferred, QuietNeedsAWholeWindowOfSamples) {
    auto plan = plan_of({inferred("consumer")});
    auto snapshot = snapshot_of(plan, milliseconds(500));
    run_for(snapshot.services[0], milliseconds(500), 0.0);
    EXPECT_FALSE(cpu_use(snapshot.services[0]).has_value());
    EXPECT_TRUE(advance(plan, snapshot).empty());
}

TEST(GateInferred, UnreadableKernelFactsFallBackToSettledMemory) {
    auto plan = plan_of({inferred("gateway", {8080})});
    auto snapshot = snapshot_of(plan, seconds(3));
    run_for(snapshot.services[0], seconds(3), 0.9);
    snapshot.services[0].cpu_unknown = true;  // and listening nullopt: unreadable
    EXPECT_EQ(ready_transition(plan, snapshot).signals, "memory settled");
}

TEST(GateInferred, CpuUseIsMeasuredOverTheLastSecond) {
    ServiceState state;
    state.cpu = {{seconds(0), 0}, {milliseconds(500), 500'000'000}, {seconds(1), 600'000'000}};
    ASSERT_TRUE(cpu_use(state).has_value());
    EXPECT_NEAR(*cpu_use(state), 0.6, 1e-9);
}

TEST(GateInferred, QuietLatelyJudgesOnlyTheNewestInterval) {
    ServiceState state;
    EXPECT_FALSE(quiet_lately(state, 10));  // no samples
    // Busy for a second, then 5 ms of CPU in the last 100 ms: quiet lately, not yet for a second.
    state.cpu = {{seconds(0), 0}, {seconds(1), 1'000'000'000}, {milliseconds(1100), 1'005'000'000}};
    EXPECT_TRUE(quiet_lately(state, 10));
    EXPECT_GT(*cpu_use(state), 0.1);
    state.cpu.back().used_ns = 1'020'000'000;  // 20 ms in 100 ms: 20% of a CPU
    EXPECT_FALSE(quiet_lately(state, 10));
    state.cpu.back().at = seconds(1);  // two samples at one instant say nothing
    EXPECT_FALSE(quiet_lately(state, 10));
}

TEST(GateInferred, CpuWindowGivesIdleCapacity) {
    CpuWindow window;
    EXPECT_FALSE(window.add(seconds(0), 0, 2.0).has_value());
    EXPECT_FALSE(window.add(milliseconds(500), 400'000'000, 2.0).has_value());
    const auto idle = window.add(seconds(1), 1'200'000'000, 2.0);  // 1.2 of 2 CPUs busy
    ASSERT_TRUE(idle.has_value());
    EXPECT_NEAR(*idle, 0.8, 1e-9);
    EXPECT_EQ(window.since(), seconds(0));
    window.add(milliseconds(1500), 1'300'000'000, 2.0);
    EXPECT_EQ(window.since(), milliseconds(500));
}

TEST(GateInferred, QuietEdgeIsTheFirstQuietIntervalAfterABusyOne) {
    QuietEdge edge;
    EXPECT_FALSE(edge.add(milliseconds(0), 0, 10));             // a first sample says nothing
    EXPECT_FALSE(edge.add(milliseconds(25), 0, 10));            // quiet from the start: no edge
    EXPECT_FALSE(edge.add(milliseconds(50), 20'000'000, 10));   // 20 of 25 ms: busy
    EXPECT_FALSE(edge.add(milliseconds(75), 40'000'000, 10));   // still busy
    EXPECT_TRUE(edge.add(milliseconds(100), 42'000'000, 10));   // 2 of 25 ms: went quiet
    EXPECT_FALSE(edge.add(milliseconds(125), 42'000'000, 10));  // stays quiet: once only
    EXPECT_FALSE(edge.add(milliseconds(125), 60'000'000, 10));  // the same instant: nothing
    EXPECT_FALSE(edge.add(milliseconds(150), 63'000'000, 10));  // 3 of 25 ms (12%): busy
    EXPECT_TRUE(edge.add(milliseconds(200), 65'000'000, 10));   // 2 of 50 ms: quiet again
    edge.reset();
    EXPECT_FALSE(edge.add(milliseconds(225), 90'000'000, 10));  // forgotten: starts over
    EXPECT_FALSE(edge.add(milliseconds(250), 90'000'000, 10));
}

// --- concurrency auto

TEST(GateAuto, OneStartMayOverlapAnotherWhateverTheCpu) {
    auto plan = plan_of({inferred("a"), inferred("b")});
    auto snapshot = snapshot_of(plan, seconds(10));
    run_for(snapshot.services[0], seconds(10), 1.0);
    snapshot.last_start = seconds(9) + milliseconds(500);
    snapshot.cpu_idle = 0.0;
    snapshot.cpu_idle_since = seconds(9);
    auto decision = decide(plan, snapshot);
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 1u);
}

TEST(GateAuto, BeyondTwoStartingOnlyWhenTheCpuHasIdleTimeSinceTheLatestStart) {
    auto plan = plan_of({inferred("a"), inferred("b"), inferred("c")});
    auto snapshot = snapshot_of(plan, seconds(10));
    run_for(snapshot.services[0], seconds(10), 1.0);
    run_for(snapshot.services[1], seconds(10), 0.0);
    snapshot.last_start = seconds(9) + milliseconds(500);
    snapshot.cpu_idle = 0.9;
    snapshot.cpu_idle_since = seconds(9);  // began before the latest start: not yet judged
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::cpu);

    snapshot.last_start = seconds(8);
    snapshot.cpu_idle = 0.05;  // saturated
    decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::cpu);

    snapshot.cpu_idle = 0.6;
    decision = decide(plan, snapshot);
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 2u);

    snapshot.cpu_idle.reset();  // unreadable: no third start
    EXPECT_EQ(decide(plan, snapshot).reasons.at(0).kind, ReasonKind::cpu);
}

TEST(GateAuto, NothingStartingNeedsNoCpuAndMaxConcurrencyCaps) {
    auto plan = plan_of({inferred("a"), inferred("b"), inferred("c")});
    plan.max_concurrency = 2;
    auto snapshot = snapshot_of(plan, seconds(10));
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::start);  // cpu_idle unknown
    run_for(snapshot.services[0], seconds(10), 0.0);
    run_for(snapshot.services[1], seconds(10), 0.0);
    snapshot.cpu_idle = 1.0;
    snapshot.cpu_idle_since = seconds(9);
    snapshot.last_start = seconds(5);
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::concurrency);
}

TEST(GateAuto, MemoryStillGatesAutoConcurrency) {
    auto plan = plan_of({inferred("a"), inferred("b")});
    auto snapshot = snapshot_of(plan, seconds(10));
    run_for(snapshot.services[0], seconds(10), 0.0);
    snapshot.available = 150 * k_mib;  // 50 still growing: 100 usable < 100 + 64
    snapshot.cpu_idle = 1.0;
    snapshot.cpu_idle_since = seconds(9);
    snapshot.last_start = seconds(0);
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::memory);
}

// Services learned to be ready within two seconds (a zookeeper, a small consumer) start on a
// saturated CPU: their work is small, and held back they were left for the end of the run,
// where each one's quiet second was waited out with the CPU idle (the benchmark's learned run
// ended 1.5 s after its last long service was ready). Longer or unlearned starts still wait.
TEST(GateAuto, AShortLearnedStartIsNotHeldBackForTheCpu) {
    auto plan = plan_of({inferred("a"), inferred("b"), inferred("c")});
    auto snapshot = snapshot_of(plan, seconds(10));
    run_for(snapshot.services[0], seconds(10), 0.5);
    run_for(snapshot.services[1], seconds(10), 0.5);
    snapshot.last_start = seconds(5);
    snapshot.cpu_idle = 0.0;  // saturated
    snapshot.cpu_idle_since = seconds(9);
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait) << "nothing learned about c";
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::cpu);

    plan.services[2].learned_time_to_ready = milliseconds(3000);
    EXPECT_EQ(decide(plan, snapshot).kind, Decision::Kind::wait) << "c takes 3 s";

    plan.services[2].learned_time_to_ready = milliseconds(1500);
    decision = decide(plan, snapshot);
    EXPECT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, 2u);

    plan.max_concurrency = 2;  // the cap still holds
    decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::concurrency);
    plan.max_concurrency = 4;
    snapshot.available = 150 * k_mib;  // and memory: 150 < 100 + 64
    decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::memory);
}

// --- order

TEST(GateOrder, CriticalPathFirstAmongStartableThenPlanOrder) {
    // a -> a2 (long), b (short alone), c: nothing learned for c.
    auto plan = plan_of({inferred("b"), inferred("c"), inferred("a"), inferred("a2", {}, {"a"})});
    plan.services[0].learned_time_to_ready = seconds(3);
    plan.services[2].learned_time_to_ready = seconds(2);
    plan.services[3].learned_time_to_ready = seconds(5);
    compute_critical_paths(plan);
    EXPECT_EQ(plan.services[2].critical_path, seconds(7));
    EXPECT_EQ(plan.services[0].critical_path, seconds(3));
    auto snapshot = snapshot_of(plan, seconds(0));
    auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(plan.services[decision.service].name, "a");

    for (auto& service : plan.services) {
        service.learned_time_to_ready = Millis(0);
    }
    compute_critical_paths(plan);
    EXPECT_EQ(plan.services[decide(plan, snapshot).service].name, "b") << "nothing learned";
}

// Two roots of chains that meet (zookeeper -> kafka and rabbitmq -> config-service, both
// before chat-service): the one unlocking its chain sooner starts first, though the other heads
// the longer path. Starting rabbitmq first (critical path 15.9 s against 14.0 s) made both roots
// finish together, and nothing could start during their quiet seconds (20.8 s against 19.7 s
// for the reference stack in the model).
TEST(GateOrder, TheServiceUnlockingItsChainSoonestStartsFirst) {
    auto plan =
        plan_of({inferred("rabbitmq"), inferred("config", {}, {"rabbitmq"}), inferred("zookeeper"),
                 inferred("kafka", {}, {"zookeeper"}), inferred("chat", {}, {"config", "kafka"})});
    const std::map<std::string, Millis> learned{{"rabbitmq", milliseconds(3600)},
                                                {"config", milliseconds(4300)},
                                                {"zookeeper", milliseconds(2100)},
                                                {"kafka", milliseconds(3900)},
                                                {"chat", milliseconds(8000)}};
    for (auto& service : plan.services) {
        service.learned_time_to_ready = learned.at(service.name);
    }
    compute_critical_paths(plan);
    EXPECT_EQ(plan.services[0].critical_path, milliseconds(15900));
    EXPECT_EQ(plan.services[2].critical_path, milliseconds(14000));
    EXPECT_NEAR(plan.services[2].unlock_rate, 11.9 / 2.1, 1e-9);
    EXPECT_NEAR(plan.services[0].unlock_rate, 12.3 / 3.6, 1e-9);
    EXPECT_EQ(plan.services[4].unlock_rate, 0.0) << "nothing waits on chat";
    auto snapshot = snapshot_of(plan, seconds(0));
    EXPECT_EQ(plan.services[decide(plan, snapshot).service].name, "zookeeper");
}

// Among services nothing waits on, the longest start goes first, whatever the file order:
// the run then ends on one long service, not on several short ones each waiting alone.
TEST(GateOrder, AmongLeavesTheLongestFirstInAnyFileOrder) {
    for (const bool reversed : {false, true}) {
        std::vector<ServicePlan> services{inferred("gateway"), inferred("chat")};
        services[0].learned_time_to_ready = milliseconds(6300);
        services[1].learned_time_to_ready = milliseconds(8000);
        if (reversed) {
            std::swap(services[0], services[1]);
        }
        auto plan = plan_of(services);
        compute_critical_paths(plan);
        EXPECT_EQ(plan.services[decide(plan, snapshot_of(plan, seconds(0))).service].name, "chat")
            << (reversed ? "chat listed first" : "gateway listed first");
    }
}

TEST(GateOrder, ConcurrencyOneKeepsTheStrictOrder) {
    auto plan = plan_of({inferred("b"), inferred("a")});
    plan.concurrency = 1;
    plan.services[1].learned_time_to_ready = seconds(9);
    compute_critical_paths(plan);
    EXPECT_EQ(decide(plan, snapshot_of(plan, seconds(0))).service, 0u);
}

}  // namespace
}  // namespace stagehand::core
