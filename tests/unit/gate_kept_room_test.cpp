// Memory kept for the longer critical paths (core/gate/kept_room): a service on a short chain
// waits while the services heading longer chains, about to become startable, need its room.
// Synthetic snapshots shaped like the reference stack's learned second run.
#include <gtest/gtest.h>

#include "core/gate/gate.hpp"
#include "core/gate/kept_room.hpp"

namespace stagehand::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ServicePlan learned(std::string name, Bytes need_mib, Millis time_to_ready,
                    std::vector<std::string> deps = {}) {
    ServicePlan plan;
    plan.name = std::move(name);
    plan.need = need_mib * k_mib;
    plan.need_source = NeedSource::learned;
    plan.ready_by = ReadySignal::inferred;
    plan.timeout = seconds(60);
    plan.learned_time_to_ready = time_to_ready;
    for (auto& dep : deps) {
        plan.depends_on.push_back({dep, DependsCondition::service_started, {}});
    }
    return plan;
}

enum { config, gesture, chat, gateway, eureka };

// config-service starting (100 of its 154 MiB so far); chat-service and gateway-service wait
// for it; gesture-service and eureka-server could start now. Critical paths: config 13 s,
// chat 9 s, gateway 7 s, eureka 5 s, gesture 1.5 s.
StartPlan reference_like() {
    StartPlan plan;
    plan.services = {learned("config-service", 154, seconds(4)),
                     learned("gesture-service", 22, milliseconds(1500)),
                     learned("chat-service", 270, seconds(9), {"config-service"}),
                     learned("gateway-service", 199, seconds(7), {"config-service"}),
                     learned("eureka-server", 176, seconds(5))};
    plan.concurrency = k_concurrency_auto;
    plan.max_concurrency = 4;
    plan.reserve = MemoryAmount{64 * k_mib, 0, false};
    plan.settle = seconds(1);
    compute_critical_paths(plan);
    return plan;
}

// config-service still growing by 54 MiB: `available` − 54 is what the gate can count on.
Snapshot config_starting(const StartPlan& plan, Bytes available_mib) {
    Snapshot snapshot;
    snapshot.now = seconds(10);
    snapshot.total = 1024 * k_mib;
    snapshot.available = available_mib * k_mib;
    snapshot.services.resize(plan.services.size());
    auto& state = snapshot.services[config];
    state.phase = Phase::starting;
    state.started_at = seconds(8);
    state.exists = state.running = true;
    state.memory.push_back({seconds(10), 100 * k_mib});
    return snapshot;
}

TEST(GateKeptRoom, ShortChainWaitsWhileTheLongerChainsAboutToStartNeedItsRoom) {
    auto plan = reference_like();
    plan.services.pop_back();  // no eureka-server
    // 600 − 54 = 546 usable: gesture's 22 + 64 fits alone, but not beside chat's 270 and
    // gateway's 199 (546 − 86 − 469 < 0).
    auto decision = decide(plan, config_starting(plan, 600));
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    ASSERT_EQ(decision.reasons.size(), 1u);
    EXPECT_EQ(decision.reasons[0].kind, ReasonKind::memory);
    EXPECT_EQ(decision.reasons[0].text.rfind("memory: keeping 469 MiB for chat-service, "
                                             "gateway-service (longer critical path); available "
                                             "600 MiB - 54 MiB still growing, need 22 MiB",
                                             0),
              0u)
        << decision.reasons[0].text;
    // Room for all three (620 − 54 − 86 − 469 = 11): gesture-service starts.
    decision = decide(plan, config_starting(plan, 620));
    ASSERT_EQ(decision.kind, Decision::Kind::start) << decision.reasons.at(0).text;
    EXPECT_EQ(decision.service, std::size_t{gesture});
}

TEST(GateKeptRoom, AChainTooLongToWaitForThemStartsAnyway) {
    // eureka-server's 5 s chain would end after chat-service's 9 s if it had to wait for
    // gateway-service's 7 s: it is not held (only 2 s of slack); gesture-service's 1.5 s is.
    const auto plan = reference_like();
    const auto decision = decide(plan, config_starting(plan, 600));
    ASSERT_EQ(decision.kind, Decision::Kind::start) << decision.reasons.at(0).text;
    EXPECT_EQ(decision.service, std::size_t{eureka});
    const KeptRoom room(plan, config_starting(plan, 600));
    EXPECT_EQ(room.kept_for(eureka).count, 0u);
    // gesture-service waits for all three (eureka-server starts first, being startable).
    EXPECT_EQ(room.soon(), (std::vector<std::size_t>{std::size_t{chat}, std::size_t{gateway},
                                                     std::size_t{eureka}, std::size_t{gesture}}));
    EXPECT_EQ(room.kept_for(gesture).count, 3u);
    EXPECT_EQ(room.kept_for(gesture).bytes, (270 + 199 + 176) * k_mib);
    EXPECT_EQ(room.kept_for(chat).count, 0u) << "the longest chain waits for nobody";
}

// chat-service has just started at config-service's end, gateway-service waits for its turn,
// and the small services are startable. Before, only the kept services bounded the wait (slack:
// gateway's 7 s path − its own 7 s = nothing), the consumer and gesture-service took 37 MiB,
// and gateway-service waited 6 s for memory until chat-service was ready (benchmark, learned
// run: 21.0 s against 20.0 s).
TEST(GateKeptRoom, AShortChainIsHeldForALongerOneWhateverTheSlack) {
    auto plan = reference_like();
    plan.services.pop_back();  // no eureka-server
    auto snapshot = config_starting(plan, 600);
    snapshot.services[config].phase = Phase::ready;
    auto& chat_state = snapshot.services[chat];
    chat_state.phase = Phase::starting;
    chat_state.started_at = seconds(10);  // its learned 9 s all ahead
    chat_state.exists = chat_state.running = true;
    chat_state.memory.push_back({seconds(10), 70 * k_mib});
    // 450 − 200 still growing (chat) = 250 usable: gesture's 22 + 64 fits alone, not beside
    // gateway-service's 199 (250 − 86 < 199).
    snapshot.available = 450 * k_mib;
    const auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).text.rfind("memory: keeping 199 MiB for gateway-service", 0),
              0u)
        << decision.reasons.at(0).text;
    // Even with nothing starting that outlasts gateway-service: a 1.5 s chain is held.
    chat_state.phase = Phase::ready;
    EXPECT_EQ(KeptRoom(plan, snapshot).kept_for(gesture).count, 1u);

    // A 2.5 s chain is held only while a chain already starting outlasts it beside the kept
    // one: chat-service's 9 s leave it 2 s after gateway-service's 7 s (not enough), 10 s leave
    // it 3 s.
    plan.services[gesture].learned_time_to_ready = milliseconds(2500);
    compute_critical_paths(plan);
    chat_state.phase = Phase::starting;
    EXPECT_EQ(KeptRoom(plan, snapshot).kept_for(gesture).count, 0u);
    plan.services[chat].learned_time_to_ready = seconds(10);
    compute_critical_paths(plan);
    EXPECT_EQ(KeptRoom(plan, snapshot).kept_for(gesture).count, 1u);
}

TEST(GateKeptRoom, KeptOnlyForServicesWhoseDependenciesHaveStarted) {
    auto plan = reference_like();
    plan.services.pop_back();
    auto snapshot = config_starting(plan, 600);
    snapshot.services[config] = ServiceState{};  // config-service not started yet
    const auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start);
    // config-service heads the longest chain and fits: it starts first, as before.
    EXPECT_EQ(decision.service, std::size_t{config});
    const KeptRoom room(plan, snapshot);
    EXPECT_EQ(room.soon(), (std::vector<std::size_t>{std::size_t{config}, std::size_t{gesture}}));
    EXPECT_EQ(room.kept_for(gesture).count, 1u);
}

TEST(GateKeptRoom, NothingStartingKeepsNothing) {
    // config-service ready, chat-service and gateway-service short of memory, nothing starting:
    // no memory can be freed for them by waiting, so gesture-service starts (no dead end for it).
    auto plan = reference_like();
    plan.services.pop_back();
    auto snapshot = config_starting(plan, 250);  // gateway needs 199 + 64, chat 270 + 64
    snapshot.services[config].phase = Phase::ready;
    const auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start) << decision.reasons.at(0).text;
    EXPECT_EQ(decision.service, std::size_t{gesture});
}

TEST(GateKeptRoom, NothingLearnedOrAnExplicitOrderKeepsNothing) {
    // With no learned times (or startup.services, which leaves every critical path at 0) the
    // start order alone is the priority: whatever fits starts.
    auto plan = reference_like();
    plan.services.pop_back();
    for (auto& service : plan.services) {
        service.learned_time_to_ready = Millis(0);
    }
    compute_critical_paths(plan);
    const auto decision = decide(plan, config_starting(plan, 600));
    ASSERT_EQ(decision.kind, Decision::Kind::start);
    EXPECT_EQ(decision.service, std::size_t{gesture});
}

TEST(GateKeptRoom, ConcurrencyOneIsUnchanged) {
    auto plan = reference_like();
    plan.concurrency = 1;
    const auto decision = decide(plan, config_starting(plan, 600));
    ASSERT_EQ(decision.kind, Decision::Kind::wait);
    EXPECT_EQ(decision.reasons.at(0).kind, ReasonKind::concurrency);
}

TEST(GateKeptRoom, RoomHeldByARunningContainerIsNotKeptTwice) {
    // gateway-service's old container holds 150 MiB, freed when compose recreates it: only 49
    // of its 199 need keeping, and gesture-service fits beside the two (546 − 86 − 319 ≥ 0).
    auto plan = reference_like();
    plan.services.pop_back();
    auto snapshot = config_starting(plan, 600);
    snapshot.services[gateway].held = 150 * k_mib;
    EXPECT_EQ(KeptRoom(plan, snapshot).kept_for(gesture).bytes, 319 * k_mib);
    const auto decision = decide(plan, snapshot);
    ASSERT_EQ(decision.kind, Decision::Kind::start) << decision.reasons.at(0).text;
    EXPECT_EQ(decision.service, std::size_t{gesture});
}

}  // namespace
}  // namespace stagehand::core
