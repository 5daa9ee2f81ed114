// The start loop against a simulated small host: services that ramp memory to a peak, hold
// it until ready, then drop to steady, in a 1 GiB box that OOM-kills when overcommitted.
// Time is a FakeClock, so a 30 s deployment runs in milliseconds.
#include <gtest/gtest.h>

#include "start_sim.hpp"

namespace stagehand::steps {
namespace {

using core::k_mib;
using core::Millis;
using std::chrono::seconds;
using namespace sim;

// Ready probes resolve service names from the watch's snapshot, and the watch follows events
// with one inspect each: waiting costs no Docker listing per probe attempt (it used to cost a
// list plus an inspect per container, per attempt: quadratic in the number of services).
TEST(StartSequence, ProbesGetTheWatchedContainersWithoutADockerListPerAttempt) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 2));
    ASSERT_TRUE(r.result.ok) << r.result.failure;
    ASSERT_GT(r.probe_calls, 50);
    EXPECT_EQ(r.probes_with_running_container, r.probe_calls);
    // One listing to begin with, one after each start; the periodic check is a light list.
    EXPECT_LE(host.lists, 1 + 9);
    EXPECT_GT(host.light_lists, 0);
    EXPECT_LT(host.inspects, r.probe_calls / 2);
}

// A redeploy over the running stack: 814 MiB steady leaves 210 free, less than chat-service's
// 245 MiB need + 64 reserve, but its old container holds 175 of that and compose stops it first.
// The gate counts what each old container holds; the caller's plan keeps its needs.
TEST(StartSequence, MemoryHeldByOldContainersCountsTowardTheirNeeds) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    for (const auto& [name, deps] : reference_order()) {
        host.run_before(name);
    }
    const auto plan = plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1);
    const auto needs_before = plan.services[6].need;
    run(r, host, plan);
    ASSERT_TRUE(r.result.ok) << r.result.failure;
    EXPECT_EQ(host.oom_kills, 0);
    EXPECT_EQ(host.started.size(), 9u);
    ASSERT_EQ(r.result.services[6].name, "chat-service");
    EXPECT_EQ(plan.services[6].need, needs_before);
    EXPECT_EQ(r.result.services[6].need, 245 * k_mib);
    for (const auto& service : r.result.services) {
        EXPECT_FALSE(service.unchanged) << service.name;  // each one was recreated
    }
}

TEST(StartSequence, ReferenceStackStartsWithoutOomAndInDependencyOrder) {
    for (int concurrency : {1, 2}) {
        SimRun r;
        SimHost host(r.clock, reference_workload());
        auto plan =
            plan_for(reference_workload(), reference_order(), core::Gate::adaptive, concurrency);
        run(r, host, plan);
        ASSERT_TRUE(r.result.ok) << r.result.failure;
        EXPECT_EQ(host.oom_kills, 0);
        EXPECT_LE(host.peak_used, host.limit);
        EXPECT_EQ(host.started.size(), 9u);
        for (const auto& service : r.result.services) {
            EXPECT_EQ(service.outcome, "ready") << service.name;
            EXPECT_GT(service.peak, 0) << service.name;
        }
        const auto position = [&](const std::string& name) {
            return std::find(host.started.begin(), host.started.end(), name) - host.started.begin();
        };
        EXPECT_LT(position("kafka"), position("chat-service"));
        EXPECT_LT(position("config-service"), position("gateway-service"));
    }
}

TEST(StartSequence, ConcurrencyTwoIsFasterThanOne) {
    Millis span[3];
    for (int concurrency : {1, 2}) {
        SimRun r;
        SimHost host(r.clock, reference_workload());
        run(r, host,
            plan_for(reference_workload(), reference_order(), core::Gate::adaptive, concurrency));
        ASSERT_TRUE(r.result.ok) << r.result.failure;
        span[concurrency] = *r.result.all_ready - *r.result.first_start;
    }
    EXPECT_LT(span[2], span[1]);
}

TEST(StartSequence, AllAtOnceOvercommitsAndFailsOnTheOomKill) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    EXPECT_FALSE(r.result.ok);
    EXPECT_GT(host.oom_kills, 0);
    EXPECT_NE(r.result.failure.find(" was killed by the kernel's OOM killer (system-wide: the host "
                                    "ran out of memory; available was "),
              std::string::npos)
        << r.result.failure;
    EXPECT_EQ(r.result.oom_kills, host.oom_kills);
    EXPECT_TRUE(learned_profiles(r.result).empty()) << "a run with an OOM kill taught a profile";
}

// A failed run whose verdict puts the kernel's one OOM kill first, then `then` (Docker's own
// failure), and whose report counts the kill.
void expect_one_oom_kill_first(const StartResult& result, const std::string& then) {
    ASSERT_FALSE(result.ok);
    EXPECT_EQ(result.failure.rfind("the kernel's OOM killer killed 1 process on this host during "
                                   "the start (system-wide: the host ran out of memory",
                                   0),
              0u)
        << result.failure;
    EXPECT_NE(result.failure.find("; then " + then), std::string::npos) << result.failure;
    EXPECT_EQ(result.oom_kills, 1);
}

// VM, 2026-12-06: all at once in a real 1 GiB guest, the kernel's OOM killer took a process
// and dockerd went silent under the pressure; the verdict named only the silent daemon. The
// kill is the cause: named first, from the kernel's own counter (the daemon cannot say).
TEST(StartSequence, OomKillBeforeASilentDaemonIsNamedFirst) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    host.silent_during_up = "kafka";
    host.oom_kill_before_silence = true;
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    expect_one_oom_kill_first(r.result, "Docker daemon at /var/run/docker.sock did not answer");
}

// CI's VM, 2026-12-06: all at once, the kernel's OOM killer took a process and Docker refused
// the next container's start (its runc init gone); the verdict named only compose's error. Any
// failure of Docker's own after the kernel killed something names the kill first.
TEST(StartSequence, OomKillBeforeAComposeFailureIsNamedFirst) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    host.oom_refused_during_up = "kafka";
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    EXPECT_EQ(r.result.failed_service, "kafka");
    expect_one_oom_kill_first(r.result,
                              "compose could not start kafka: Error response from daemon: failed "
                              "to create task");
}

// A start Docker refused with a runtime error (EIO) can be transient: seen in the VM after a
// power cut, runc's "read init-p: connection reset by peer" under memory pressure; the same
// start a moment later works. Once only, with a warning; a second refusal is the answer; and
// not after an OOM kill (the test above: the host is out of memory, the kill is the cause).
TEST(StartSequence, AStartDockerRefusedIsRetriedOnceWithAWarning) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    host.refused_ups["kafka"] = 1;
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1));
    ASSERT_TRUE(r.result.ok) << r.result.failure;
    EXPECT_EQ(host.refusals, 1);
    EXPECT_TRUE(r.log.has(util::Level::warn, "Docker refused the start ("))
        << ::testing::PrintToString(r.log.lines());
    EXPECT_TRUE(r.log.has(util::Level::warn, "retrying the start once in 2.0s"))
        << ::testing::PrintToString(r.log.lines());

    SimRun twice;
    SimHost refusing(twice.clock, reference_workload());
    refusing.refused_ups["kafka"] = 2;
    run(twice, refusing,
        plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1));
    ASSERT_FALSE(twice.result.ok);
    EXPECT_EQ(refusing.refusals, 2);
    EXPECT_EQ(twice.result.failed_service, "kafka");
    EXPECT_NE(twice.result.failure.find("read init-p"), std::string::npos) << twice.result.failure;

    SimRun oom;
    SimHost killing(oom.clock, reference_workload());
    killing.oom_refused_during_up = "kafka";
    run(oom, killing, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    EXPECT_EQ(killing.refusals, 1) << "retried a start after the kernel's OOM kill";
}

// The same silence without an OOM kill stays the daemon's alone.
TEST(StartSequence, SilentDaemonWithoutAnOomKillIsNamedAlone) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    host.silent_during_up = "kafka";
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::none, 1));
    ASSERT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.failure.rfind("Docker daemon at /var/run/docker.sock did not answer", 0), 0u)
        << r.result.failure;
}

// The verdict when the daemon goes silent during the second of two small services' start,
// with `base` held by the rest of the host, growing to `base_when_silent` during the silence.
// The services never overcommit the host, so the simulated kernel kills nothing however long
// the daemon stays silent.
std::string silent_daemon_verdict(core::Bytes base, std::optional<core::Bytes> base_when_silent) {
    const std::map<std::string, SimService> services{
        {"small-a", SimService{20 * k_mib, 18 * k_mib, Millis(500), Millis(450), {}}},
        {"small-b", SimService{20 * k_mib, 18 * k_mib, Millis(500), Millis(450), {}}}};
    SimRun r;
    SimHost host(r.clock, services);
    host.base = base;
    host.base_when_silent = base_when_silent;
    host.silent_during_up = "small-b";
    run(r, host, plan_for(services, {{"small-a", {}}, {"small-b", {}}}, core::Gate::none, 1));
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(host.oom_kills, 0);
    EXPECT_EQ(r.result.failure.rfind("Docker daemon at /var/run/docker.sock did not answer", 0), 0u)
        << r.result.failure;
    return r.result.failure;
}

// A daemon stalled by a memory stampede before the kernel killed anything (the kill came
// later, or never: the box thrashes): the verdict can name no kill yet, but says the host was
// short of memory when the daemon went silent, which is what the operator needs to know.
TEST(StartSequence, SilentDaemonOnAHostShortOfMemorySaysSo) {
    // The rest of the host holds 950 MiB: under a tenth of the 1 GiB is left.
    const auto verdict = silent_daemon_verdict(950 * k_mib, std::nullopt);
    EXPECT_NE(verdict.find(" (while the host was short of memory: lowest sampled available "),
              std::string::npos)
        << verdict;
    EXPECT_NE(verdict.find(" of 1024 MiB"), std::string::npos) << verdict;
}

// The samples are from before the call that failed, which blocked for the daemon's 10 s: the
// shortage that silenced it shows only in a reading taken when the verdict is written.
TEST(StartSequence, SilentDaemonReadsMemoryAgainForItsVerdict) {
    const auto verdict = silent_daemon_verdict(0, 950 * k_mib);
    EXPECT_NE(verdict.find(" (while the host was short of memory: lowest sampled available "),
              std::string::npos)
        << verdict;
}

// And with memory to spare throughout, no note.
TEST(StartSequence, SilentDaemonOnAHostWithMemoryToSpareAddsNoNote) {
    const auto verdict = silent_daemon_verdict(0, std::nullopt);
    EXPECT_EQ(verdict.find("short of memory"), std::string::npos) << verdict;
}

TEST(StartSequence, CrashDuringStartFailsAtOnceWithLogs) {
    auto services = reference_workload();
    services["kafka"].crash_after = Millis(700);
    SimRun r;
    SimHost host(r.clock, services);
    run(r, host, plan_for(services, reference_order(), core::Gate::adaptive, 1));
    ASSERT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.failed_service, "kafka");
    EXPECT_EQ(r.result.failure, "kafka exited with code 3");
    ASSERT_GE(r.result.diagnosis.size(), 2u);
    EXPECT_NE(r.result.diagnosis.back().find("cannot reach zookeeper"), std::string::npos);
    // Nothing after kafka was started.
    EXPECT_EQ(host.started.back(), "kafka");
    const auto verdict = start_verdict(r.result);
    EXPECT_EQ(verdict, "FAILED: kafka exited with code 3");
}

TEST(StartSequence, TimeoutNamesTheLastProbeErrorAndCountsAttempts) {
    auto services = reference_workload();
    services["zookeeper"].cpu = std::chrono::hours(1);  // never ready
    SimRun r;
    SimHost host(r.clock, services);
    run(r, host, plan_for(services, reference_order(), core::Gate::adaptive, 1));
    ASSERT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.failed_service, "zookeeper");
    const auto& record = r.result.services[4];
    ASSERT_EQ(record.name, "zookeeper");
    // The one service starting is probed every poll (250 ms): about 240 attempts in 60 s.
    EXPECT_GT(record.probe_attempts, 220);
    EXPECT_LT(record.probe_attempts, 260);
    EXPECT_EQ(record.probe_error, "not ready");
    const bool named = std::any_of(r.result.diagnosis.begin(), r.result.diagnosis.end(),
                                   [](const std::string& line) {
                                       return line.find("zookeeper: ready probe, ") == 0 &&
                                              line.find("last: not ready") != std::string::npos;
                                   });
    EXPECT_TRUE(named) << ::testing::PrintToString(r.result.diagnosis);
    EXPECT_EQ(start_report_json(r.result)["services"][4]["probe_error"], "not ready");
}

// A probed service is most likely ready the moment its CPU goes quiet: the loop watches the
// CPU time of the few services starting with a probe and probes one as soon as it goes quiet,
// so the last service of a deployment is seen ready within tens of milliseconds, not up to a
// poll later, however long it took (the reference stack's last, chat-service, takes about
// 10 s: probing it every twentieth of its start, as the loop once did, saw it up to 500 ms late).
TEST(StartSequence, AProbedServiceIsProbedAsSoonAsItsCpuGoesQuiet) {
    for (int cpu_ms : {19'130, 19'410, 19'770, 20'050, 20'330}) {
        std::map<std::string, SimService> services{
            {"slow", SimService{100 * k_mib, 80 * k_mib, Millis(1000), Millis(cpu_ms), {}}}};
        SimRun r;
        SimHost host(r.clock, services);
        const auto plan = plan_for(services, {{"slow", {}}}, core::Gate::adaptive, 1);
        const auto began = r.clock.now();
        run(r, host, plan);
        ASSERT_TRUE(r.result.ok) << r.result.failure;
        ASSERT_TRUE(r.result.all_ready);
        const auto late = *r.result.all_ready - host.quiet_since("slow", began);
        EXPECT_LE(late, 2 * core::k_edge_tick + Millis(10)) << cpu_ms << " ms of CPU";
        // Probed at every poll meanwhile, and once more when it went quiet.
        EXPECT_LE(r.probe_calls, cpu_ms / plan.poll.count() + 3) << cpu_ms << " ms of CPU";
    }
}

// A hundred services that take minutes: each is probed less often the more start at once, so
// the attempts stay about 50 a second in all (500 at every poll).
TEST(StartSequence, AHundredSlowStartsCostAboutFiftyProbesASecond) {
    std::map<std::string, SimService> services;
    std::vector<std::pair<std::string, std::vector<std::string>>> order;
    for (int i = 0; i < 100; ++i) {
        const auto name = "slow-" + std::to_string(1000 + i);
        services[name] = SimService{1 * k_mib, 1 * k_mib, Millis(100), std::chrono::hours(1), {}};
        order.push_back({name, {}});
    }
    SimRun r;
    SimHost host(r.clock, services);
    auto plan = plan_for(services, order, core::Gate::adaptive, 100);
    const auto began = r.clock.now();
    run(r, host, plan);
    ASSERT_FALSE(r.result.ok);
    const auto seconds_waited =
        std::chrono::duration_cast<std::chrono::duration<double>>(r.clock.now() - began).count();
    ASSERT_GE(seconds_waited, 60.0);
    EXPECT_LE(r.probe_calls, 55 * seconds_waited) << seconds_waited << " s";
    // And each one was still probed: every 2 s at least.
    EXPECT_GE(r.probe_calls, 100 * (seconds_waited / 2 - 1)) << seconds_waited << " s";
}

TEST(StartSequence, ServiceThatCanNeverFitFailsNamingTheShortfall) {
    auto services = reference_workload();
    services["chat-service"].peak = 900 * k_mib;
    SimRun r;
    SimHost host(r.clock, services);
    run(r, host, plan_for(services, reference_order(), core::Gate::adaptive, 1));
    ASSERT_FALSE(r.result.ok);
    EXPECT_EQ(r.result.failed_service, "chat-service");
    EXPECT_NE(r.result.failure.find("more memory than can become free"), std::string::npos);
    ASSERT_FALSE(r.result.diagnosis.empty());
    EXPECT_NE(r.result.diagnosis[0].find("largest containers"), std::string::npos);
}

TEST(StartSequence, SleepGateWaitsTheFixedPauses) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::sleep, 1));
    ASSERT_TRUE(r.result.ok) << r.result.failure;
    // 8 pauses of 6 s between 9 starts.
    EXPECT_GE(*r.result.all_ready - *r.result.first_start, seconds(48));
}

TEST(StartSequence, RecordsWaitsWithReasonsAndTheTableFits) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1));
    ASSERT_TRUE(r.result.ok);
    const auto& config = r.result.services[1];
    ASSERT_FALSE(config.waits.empty());
    EXPECT_NE(config.waits[0].reason.find("rabbitmq"), std::string::npos) << config.waits[0].reason;
    std::size_t bytes = 0;
    for (const auto& line : start_table(r.result)) {
        bytes += line.size() + 1;
    }
    EXPECT_LT(bytes, 1400u);
    const auto profiles = learned_profiles(r.result);
    EXPECT_EQ(profiles.size(), 9u);
    EXPECT_GE(profiles.at("kafka").peak, 200 * k_mib);
}

TEST(StartSequence, CancelStopsPromptlyNamingTheWait) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    r.cancel.fire(os::CancelReason::sigterm);
    run(r, host, plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1));
    EXPECT_FALSE(r.result.ok);
    EXPECT_TRUE(r.result.interrupted);
    EXPECT_NE(r.result.failure.find("SIGTERM"), std::string::npos);
    EXPECT_TRUE(host.started.empty());
}

// Issue 13.3: a SIGTERM (or the deadline) while chat-service was starting blamed the next
// service in line ("gesture-service ... waiting for 1 service(s) still starting"); the verdict
// must name what was awaited and its last probe error.
TEST(StartSequence, InterruptedVerdictNamesTheServiceAwaitedAndItsLastProbeError) {
    auto services = reference_workload();
    services["chat-service"].cpu = std::chrono::hours(1);  // never ready
    for (const auto reason : {os::CancelReason::sigterm, os::CancelReason::deadline}) {
        SimRun r;
        int chat_probes = 0;
        r.on_probe = [&](const std::string& name) {
            if (name == "chat-service" && ++chat_probes == 8) {
                r.cancel.fire(reason);
            }
        };
        SimHost host(r.clock, services);
        run(r, host, plan_for(services, reference_order(), core::Gate::adaptive, 1));
        ASSERT_TRUE(r.result.interrupted);
        EXPECT_EQ(r.result.failed_service, "chat-service");
        const auto verdict = start_verdict(r.result);
        const std::string what = reason == os::CancelReason::sigterm
                                     ? "FAILED: interrupted (SIGTERM)"
                                     : "FAILED: deadline passed";
        EXPECT_EQ(verdict.rfind(what, 0), 0u) << verdict;
        EXPECT_NE(verdict.find("chat-service not ready"), std::string::npos) << verdict;
        EXPECT_NE(verdict.find("8 attempts, last: not ready"), std::string::npos) << verdict;
        EXPECT_EQ(verdict.find("gesture-service"), std::string::npos) << verdict;
    }
}

// Issue 13 item 7: a SIGTERM while `compose up` runs is an interruption (exit 143), not
// "compose could not start" with a memory diagnosis.
TEST(StartSequence, SigtermDuringComposeUpIsAnInterruptionNotAComposeFailure) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    const auto plan = plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1);
    host.sigterm_during_up = plan.services[1].name;
    run(r, host, plan);
    EXPECT_FALSE(r.result.ok);
    EXPECT_TRUE(r.result.interrupted);
    EXPECT_EQ(r.result.failure.rfind("interrupted (SIGTERM)", 0), 0u) << r.result.failure;
    EXPECT_NE(r.result.failure.find(plan.services[1].name), std::string::npos) << r.result.failure;
    EXPECT_EQ(r.result.failure.find("compose could not start"), std::string::npos)
        << r.result.failure;
    for (const auto& line : r.result.diagnosis) {
        EXPECT_EQ(line.find("largest"), std::string::npos) << line;
    }
    EXPECT_EQ(host.started, std::vector<std::string>{plan.services[0].name});
}

// Issue 13 item 8: a daemon that stops answering mid-start was blamed on the service being
// awaited ("s3 not ready after 15s") once startup.timeout passed. The verdict names the daemon.
TEST(StartSequence, FrozenDaemonIsNamedNotTheServiceItWasWaitingFor) {
    SimRun r;
    SimHost host(r.clock, reference_workload());
    auto plan = plan_for(reference_workload(), reference_order(), core::Gate::adaptive, 1);
    for (auto& service : plan.services) {
        service.timeout = Millis(15000);
    }
    host.freeze_after_up = plan.services[1].name;
    run(r, host, plan);
    ASSERT_TRUE(host.frozen);
    EXPECT_FALSE(r.result.ok);
    EXPECT_FALSE(r.result.interrupted);
    EXPECT_NE(r.result.failure.find("Docker daemon at /var/run/docker.sock did not answer for 10s"),
              std::string::npos)
        << r.result.failure;
    EXPECT_EQ(r.result.failure.find("not ready"), std::string::npos) << r.result.failure;
    // Named at the first call that hit the silence, not after startup.timeout.
    EXPECT_LT(r.clock.now() - host.frozen_at, std::chrono::seconds(15));
}

}  // namespace
}  // namespace stagehand::steps
