// The start loop with concurrency auto, inferred readiness and critical-path order on the
// reference workload (WORKLOAD.md, scaled), against the simulated 1 GiB / 1 CPU host.
#include <gtest/gtest.h>

#include "start_sim.hpp"

namespace stagehand::steps {
namespace {

using core::k_mib;
using core::Millis;
using std::chrono::seconds;
using namespace sim;

// CPU time the reference stand-ins burn in all: no start order beats it on one CPU.
Millis cpu_floor(const std::map<std::string, SimService>& services) {
    Millis total{0};
    for (const auto& [name, service] : services) {
        total += service.cpu;
    }
    return total;
}

using Order = std::vector<std::pair<std::string, std::vector<std::string>>>;

// What a new user has: no probes, no needs (the default guess), concurrency auto.
core::StartPlan unannotated(const std::map<std::string, SimService>& services,
                            const core::Profiles& profiles = {},
                            const Order& order = reference_order(),
                            core::Bytes default_need = 256 * k_mib) {
    auto plan = plan_for(services, order, core::Gate::adaptive, 1);
    plan.concurrency = core::k_concurrency_auto;
    plan.max_concurrency = 4;
    plan.quiet = 10;
    plan.settle = seconds(1);
    plan.poll = Millis(250);
    for (auto& service : plan.services) {
        service.ready_by = core::ReadySignal::inferred;
        service.need = default_need;
        service.need_source = core::NeedSource::default_guess;
        if (auto learned = profiles.find(service.name); learned != profiles.end()) {
            service.need = core::learned_need(learned->second.peak, 10.0);
            service.need_source = core::NeedSource::learned;
            service.learned_time_to_ready = learned->second.time_to_ready;
        }
    }
    core::compute_critical_paths(plan);
    return plan;
}

Millis span(const SimRun& r) {
    return *r.result.all_ready - *r.result.first_start;
}

void expect_clean(const SimRun& r, const SimHost& host) {
    ASSERT_TRUE(r.result.ok) << r.result.failure;
    EXPECT_EQ(host.oom_kills, 0);
    EXPECT_LE(host.peak_used, host.limit);
    EXPECT_EQ(host.started.size(), 9u);
    const auto position = [&](const std::string& name) {
        return std::find(host.started.begin(), host.started.end(), name) - host.started.begin();
    };
    for (const auto& [name, deps] : reference_order()) {
        for (const auto& dep : deps) {
            EXPECT_LT(position(dep), position(name)) << dep << " before " << name;
        }
    }
}

TEST(StartAuto, UnannotatedFirstRunIsCloseToTheCpuFloorWithoutOom) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, unannotated(reference_workload()));
    expect_clean(r, host);
    const auto floor = cpu_floor(reference_workload());
    // The model shows 1.27x: readiness waits for a quiet second, and beyond two starting
    // services each start for a fifth of the CPU to idle.
    EXPECT_LE(span(r).count(), floor.count() * 130 / 100)
        << "span " << span(r).count() << " ms, floor " << floor.count() << " ms";
    for (const auto& service : r.result.services) {
        EXPECT_EQ(service.outcome, "ready") << service.name;
        EXPECT_EQ(service.ready_by, core::ReadySignal::inferred);
        EXPECT_NE(service.ready_signals.find("cpu quiet"), std::string::npos)
            << service.name << ": " << service.ready_signals;
    }
    // Faster than the strict ready chain (concurrency 1) with the same inferred readiness.
    SimRun chain;
    SimHost chain_host(chain.clock, reference_workload());
    auto strict = unannotated(reference_workload());
    strict.concurrency = 1;
    run(chain, chain_host, strict);
    expect_clean(chain, chain_host);
    EXPECT_LT(span(r), span(chain));
}

TEST(StartAuto, LearnedRunUsesTheKernelPeakPlusMarginAndTheCriticalPath) {
    SimRun first;
    SimHost first_host(first.clock, reference_workload());
    first_host.up_latency = Millis(300);
    run(first, first_host, unannotated(reference_workload()));
    expect_clean(first, first_host);
    const auto profiles = learned_profiles(first.result);
    ASSERT_EQ(profiles.size(), 9u);
    for (const auto& [name, service] : reference_workload()) {
        // The kernel's high-water mark is the true peak, whatever the samples saw.
        EXPECT_EQ(profiles.at(name).peak, first_host.true_peak(name)) << name;
    }
    SimRun second;
    SimHost second_host(second.clock, reference_workload());
    second_host.up_latency = Millis(300);
    const auto plan = unannotated(reference_workload(), profiles);
    run(second, second_host, plan);
    expect_clean(second, second_host);
    // The model shows 1.08x (1.13x when the longest chain went first and short services
    // waited for the CPU until the end).
    EXPECT_LE(span(second).count(), cpu_floor(reference_workload()).count() * 110 / 100)
        << span(second).count();
    EXPECT_LT(span(second), span(first));
    // The first start is the root unlocking its chain soonest.
    const core::ServicePlan* soonest = nullptr;
    for (const auto& service : plan.services) {
        if (service.depends_on.empty() &&
            (!soonest || service.unlock_rate > soonest->unlock_rate)) {
            soonest = &service;
        }
    }
    EXPECT_EQ(second_host.started.front(), soonest->name);
}

// The quiet second is judged on samples: with them `poll` (500 ms by default) apart, a
// service that went quiet just after one was seen up to a poll late, and every link of a
// dependency chain paid it (22.6 s against 20.9 s for the stack in this model). Its CPU time is
// read every 100 ms instead; the costlier listening scan only once its CPU has gone quiet.
TEST(StartAuto, InferredReadinessIsSeenWithinATickOfTheQuietSecond) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    host.up_latency = Millis(300);
    auto plan = unannotated(reference_workload());
    plan.poll = Millis(500);  // the default
    const auto run_start = r.clock.now();
    run(r, host, plan);
    expect_clean(r, host);
    for (const auto& service : r.result.services) {
        const auto quiet = host.quiet_since(service.name, run_start);
        // Ready a whole quiet second after its CPU work was done, and at most a tick later.
        EXPECT_GE(service.ready_at - quiet, Millis(900)) << service.name;
        EXPECT_LE(service.ready_at - quiet, Millis(1100) + Millis(100)) << service.name;
    }
    // 1.27x in this model (default needs of 256 MiB, compose taking 0.3 s); 1.40x before.
    EXPECT_LE(span(r).count(), cpu_floor(reference_workload()).count() * 130 / 100)
        << span(r).count();
    // Sockets are scanned only in the quiet stretches, not at every CPU sample.
    EXPECT_LT(host.listening_reads * 2, host.cpu_reads)
        << host.listening_reads << " scans, " << host.cpu_reads << " CPU reads";
}

TEST(StartAuto, EarlyListenerBurningCpuIsReadyOnlyOnceQuiet) {
    auto services = reference_workload();
    services["gateway-service"].listen = SimService::Listen::early;
    SimRun r;
    SimHost host(r.clock, services);
    auto plan = unannotated(services);
    for (auto& service : plan.services) {
        if (service.name == "gateway-service") {
            service.ports = {8080};
        }
    }
    run(r, host, plan);
    expect_clean(r, host);
    const auto& gateway = r.result.services[3];
    ASSERT_EQ(gateway.name, "gateway-service");
    // It burns 3.6 s of CPU on a shared CPU: listening from the start is not ready.
    EXPECT_GE((gateway.ready_at - gateway.started_at).count(), 3600);
    EXPECT_EQ(gateway.ready_signals, "listening 8080, cpu quiet");
}

TEST(StartAuto, WaitsAreRecordedWithTheirKinds) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, unannotated(reference_workload()));
    expect_clean(r, host);
    std::set<core::ReasonKind> kinds;
    for (const auto& service : r.result.services) {
        for (const auto& wait : service.waits) {
            kinds.insert(wait.kind);
        }
    }
    EXPECT_TRUE(kinds.count(core::ReasonKind::dependency)) << "config-service waits on rabbitmq";
    for (const auto kind : kinds) {
        const bool gate_wait = kind == core::ReasonKind::dependency ||
                               kind == core::ReasonKind::cpu || kind == core::ReasonKind::memory ||
                               kind == core::ReasonKind::concurrency;
        EXPECT_TRUE(gate_wait) << core::to_string(kind);
    }
    const auto json = start_report_json(r.result);
    EXPECT_EQ(json["services"][1]["waits"][0]["kind"], "dependency");
    EXPECT_EQ(json["services"][1]["ready_by"], "inferred");
}

// The plan's start order for the reference services listed in `file_order` in the compose
// file (core::start_order: by depends_on, ties in file order).
Order start_order_of(const std::vector<std::string>& file_order) {
    const auto reference = reference_order();
    const auto deps_of = [&](const std::string& name) {
        return std::find_if(reference.begin(), reference.end(),
                            [&](const auto& entry) { return entry.first == name; })
            ->second;
    };
    core::ComposeFile compose;
    for (const auto& name : file_order) {
        core::ComposeService service;
        service.name = name;
        for (const auto& dep : deps_of(name)) {
            service.depends_on.push_back({dep, core::DependsCondition::service_started, {}});
        }
        compose.services.push_back(service);
    }
    Order order;
    for (const auto& name : core::start_order(compose, {})) {
        order.emplace_back(name, deps_of(name));
    }
    return order;
}

// A second deployment with what the first taught (peaks + learn_margin, times to ready), on a
// host shared with other work, where the box gets 80 % of its CPU and so reads as partly idle
// however busy its services are (the benchmark's host: builds run beside it). The small
// services then pass the CPU check early, and before the gate kept room for the longer chains
// they took the memory that chat-service (270 MiB learned) and gateway-service (198 MiB) need
// to start side by side once config-service is ready: gateway-service waited for chat-service
// to be ready and then ran alone (learned 26.1 s against 25.4 s for the first run with nothing
// learned, in both orders; the benchmark saw 23.7 s scrambled against 21.1 s).
TEST(StartAuto, LearnedRunKeepsRoomForTheLongestChainsInAnyFileOrder) {
    const std::vector<std::string> file_order{
        "rabbitmq", "config-service", "eureka-server",   "gateway-service",        "zookeeper",
        "kafka",    "chat-service",   "gesture-service", "randhand-kafka-consumer"};
    // bench/variants.py's scrambled order: dependents listed before what they depend on.
    const std::vector<std::string> scrambled{"randhand-kafka-consumer",
                                             "gesture-service",
                                             "chat-service",
                                             "kafka",
                                             "gateway-service",
                                             "zookeeper",
                                             "eureka-server",
                                             "config-service",
                                             "rabbitmq"};
    std::map<std::string, Millis> spans;
    for (const auto* listed : {&file_order, &scrambled}) {
        const auto order = start_order_of(*listed);
        const auto name = listed == &file_order ? "file order" : "scrambled";
        SimRun first;
        SimHost first_host(first.clock, reference_workload());
        first_host.cpu_share_percent = 80;
        first_host.up_latency = Millis(200);
        run(first, first_host, unannotated(reference_workload(), {}, order, 128 * k_mib));
        expect_clean(first, first_host);
        const auto profiles = learned_profiles(first.result);
        ASSERT_EQ(profiles.size(), 9u);

        SimRun second;
        SimHost host(second.clock, reference_workload());
        host.cpu_share_percent = 80;
        host.up_latency = Millis(200);
        const auto plan = unannotated(reference_workload(), profiles, order, 128 * k_mib);
        run(second, host, plan);
        expect_clean(second, host);
        for (const auto& service : plan.services) {
            EXPECT_GE(service.need, host.true_peak(service.name)) << name << ": " << service.name;
        }
        const auto record = [&](const std::string& service) {
            return *std::find_if(second.result.services.begin(), second.result.services.end(),
                                 [&](const ServiceRecord& r) { return r.name == service; });
        };
        // The two longest chains overlap: gateway-service starts while chat-service starts.
        EXPECT_LT(record("gateway-service").started_at, record("chat-service").ready_at) << name;
        EXPECT_LE(span(second), span(first)) << name << ": learned is not slower than nothing";
        spans[name] = span(second);
    }
    EXPECT_LE(spans["scrambled"].count(), spans["file order"].count() * 105 / 100)
        << "scrambled " << spans["scrambled"].count() << " ms, file order "
        << spans["file order"].count() << " ms";
}

TEST(StartAuto, ARunWithAnOomKillTeachesNothing) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    ASSERT_GT(r.result.oom_kills, 0);
    for (auto& service : r.result.services) {
        service.outcome = "ready";  // even were they all ready
    }
    EXPECT_TRUE(learned_profiles(r.result).empty());
}

}  // namespace
}  // namespace stagehand::steps
