// The start loop against a simulated small host: services that ramp memory to a peak, hold
// it until ready, then drop to steady, in a 1 GiB box that OOM-kills when overcommitted.
// Time is a FakeClock, so a 30 s deployment runs in milliseconds.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>

#include "core/gate/gate.hpp"
#include "os/docker/docker.hpp"
#include "steps/probe/probe_runner.hpp"
#include "steps/start/start_report.hpp"
#include "steps/start/start_sequence.hpp"

namespace stagehand::steps {
namespace {

using core::k_mib;
using core::Millis;
using std::chrono::seconds;

struct SimService {
    core::Bytes peak = 0;
    core::Bytes steady = 0;
    Millis ramp{1000};
    Millis cpu{2000};  // CPU time to burn before ready; one CPU shared by all busy services
    std::optional<Millis> crash_after;  // exits with code 3 then
};

// One host: Docker, compose, memory readers and the process table, all driven by the clock.
class SimHost final : public os::Docker,
                      public os::Compose,
                      public os::MemoryReader,
                      public os::ContainerMemory,
                      public os::ProcessTable,
                      public os::OomCounterReader {
  public:
    SimHost(os::FakeClock& clock, std::map<std::string, SimService> services)
        : m_clock(clock), m_services(std::move(services)) {}

    core::Bytes limit = 1024 * k_mib;
    core::Bytes base = 0;  // the cgroup holds only the containers
    int oom_kills = 0;
    core::Bytes peak_used = 0;
    int lists = 0;        // project_containers calls (a list + an inspect per container)
    int light_lists = 0;  // list_containers calls (one request)
    int inspects = 0;     // inspect calls
    std::vector<std::string> started;
    // The service whose `compose up` gets the run's SIGTERM while its child runs (the Cancel
    // fires mid-call and compose's child ends "cancelled").
    std::string sigterm_during_up;
    // Once this service has started, the daemon freezes: every list and inspect waits the
    // answer timeout (10 s on the clock) and fails the way EngineDocker does.
    std::string freeze_after_up;
    bool frozen = false;
    os::MonoTime frozen_at{};

    // --- the simulation
    struct Running {
        std::string id;
        os::MonoTime since;
        Millis cpu_done{0};
        bool alive = true;
        bool oom = false;
        int exit_code = 0;
    };

    core::Bytes memory_of(const std::string& name, const Running& run) const {
        if (!run.alive) {
            return 0;
        }
        const auto& s = m_services.at(name);
        const auto age = std::chrono::duration_cast<Millis>(m_clock.now() - run.since);
        if (age < s.ramp) {
            return s.peak * age.count() / std::max<long long>(s.ramp.count(), 1);
        }
        return run.cpu_done < s.cpu ? s.peak : s.steady;
    }

    // One CPU: the busy services share the time since the last step.
    void burn_cpu() {
        const auto dt = std::chrono::duration_cast<Millis>(m_clock.now() - m_last_step);
        m_last_step = m_clock.now();
        std::vector<Running*> busy;
        for (auto& [name, run] : m_running) {
            if (run.alive && run.cpu_done < m_services.at(name).cpu) {
                busy.push_back(&run);
            }
        }
        for (auto* run : busy) {
            run->cpu_done += dt / static_cast<long>(busy.size());
        }
    }

    void step() {
        burn_cpu();
        core::Bytes used = base;
        for (auto& [name, run] : m_running) {
            const auto& s = m_services.at(name);
            if (run.alive && s.crash_after && m_clock.now() - run.since >= *s.crash_after) {
                run.alive = false;
                run.exit_code = 3;
                m_events.push_back({"die", run.id, name, 3, "", 0});
            }
            used += memory_of(name, run);
        }
        peak_used = std::max(peak_used, used);
        if (used > limit && !started.empty()) {
            auto& victim = m_running[started.back()];  // the newest, like the OOM killer's pick
            if (victim.alive) {
                victim.alive = false;
                victim.oom = true;
                victim.exit_code = 137;
                ++oom_kills;
                m_events.push_back({"oom", victim.id, started.back(), std::nullopt, "", 0});
                m_events.push_back({"die", victim.id, started.back(), 137, "", 0});
            }
        }
    }

    // --- os::Docker
    util::Status ping(os::MonoTime, const os::Cancel&) override { return {}; }
    util::Result<std::vector<os::ContainerState>> project_containers(const std::string&,
                                                                     os::MonoTime,
                                                                     const os::Cancel&) override {
        ++lists;
        if (frozen) {
            return silent("GET /containers/json");
        }
        return states();
    }
    util::Result<std::vector<os::ContainerState>> list_containers(const std::string&, os::MonoTime,
                                                                  const os::Cancel&) override {
        ++light_lists;
        if (frozen) {
            return silent("GET /containers/json");
        }
        return states();
    }
    util::Error silent(const std::string& what) {
        m_clock.advance(std::chrono::seconds(10));
        return util::Error{
            "Docker daemon at /var/run/docker.sock did not answer for 10s (" + what + ")",
            os::k_daemon_unresponsive};
    }
    std::vector<os::ContainerState> states() {
        step();
        std::vector<os::ContainerState> out;
        for (const auto& [name, run] : m_running) {
            os::ContainerState state;
            state.id = run.id;
            state.service = name;
            state.running = run.alive;
            state.status = run.alive ? "running" : "exited";
            state.oom_killed = false;  // a system-wide kill: Docker leaves it false (VM.md)
            state.exit_code = run.exit_code;
            state.pid =
                1000 + static_cast<int>(std::distance(m_running.begin(), m_running.find(name)));
            out.push_back(state);
        }
        return out;
    }
    util::Result<os::ContainerState> inspect(const std::string& id, os::MonoTime,
                                             const os::Cancel&) override {
        ++inspects;
        if (frozen) {
            return silent("GET /containers/" + id + "/json");
        }
        for (auto& state : states()) {
            if (state.id == id) {
                return state;
            }
        }
        return util::Error{"no such container: " + id, ENOENT};
    }
    util::Result<std::vector<std::string>> logs_tail(const std::string& id, int, os::MonoTime,
                                                     const os::Cancel&) override {
        return std::vector<std::string>{id + " starting", id + " fatal: cannot reach zookeeper"};
    }
    util::Result<std::string> logs_since_start(const std::string&, os::MonoTime,
                                               const os::Cancel&) override {
        return std::string();
    }
    util::Result<bool> image_present(const std::string&, os::MonoTime, const os::Cancel&) override {
        return true;
    }
    util::Result<os::PullResult> pull(const std::string& image, os::MonoTime,
                                      const os::Cancel&) override {
        return os::PullResult{image, "", ""};
    }
    util::Result<std::string> image_digest(const std::string&, os::MonoTime,
                                           const os::Cancel&) override {
        return std::string();
    }
    util::Result<std::vector<std::pair<std::string, std::string>>> list_images(
        os::MonoTime, const os::Cancel&) override {
        return std::vector<std::pair<std::string, std::string>>{};
    }
    util::Status remove_image(const std::string&, os::MonoTime, const os::Cancel&) override {
        return {};
    }

    class Stream final : public os::EventStream {
      public:
        explicit Stream(SimHost& host) : m_host(host) {}
        int fd() const override { return -1; }
        std::vector<os::DockerEvent> take_events() override {
            m_host.step();
            return std::exchange(m_host.m_events, {});
        }
        bool finished() override { return false; }

      private:
        SimHost& m_host;
    };
    util::Result<std::unique_ptr<os::EventStream>> events(const std::string&) override {
        return std::unique_ptr<os::EventStream>(std::make_unique<Stream>(*this));
    }

    // --- os::Compose
    // Compose and MemoryReader both describe themselves.
    std::string describe() const override { return "simulated"; }
    util::Status up_service(const std::string& service, os::MonoTime,
                            const os::Cancel& cancel) override {
        if (service == sigterm_during_up) {
            cancel.fire(os::CancelReason::sigterm);
            return util::Error{"docker compose up -d --no-deps " + service + " cancelled",
                               ECANCELED};
        }
        started.push_back(service);
        if (!frozen && service == freeze_after_up) {
            frozen = true;
            frozen_at = m_clock.now();
        }
        burn_cpu();
        m_running[service] = Running{"c-" + service, m_clock.now(), Millis(0), true, false, 0};
        return {};
    }
    util::Status stop_services(const std::vector<std::string>&, int, os::MonoTime,
                               const os::Cancel&) override {
        return {};
    }

    // --- os::MemoryReader
    util::Result<os::MemorySnapshot> read() override {
        step();
        core::Bytes used = base;
        for (const auto& [name, run] : m_running) {
            used += memory_of(name, run);
        }
        return os::MemorySnapshot{limit, limit - used, std::nullopt, "simulated cgroup"};
    }

    // --- os::ContainerMemory
    util::Result<core::Bytes> usage(int pid) override {
        for (const auto& [name, run] : m_running) {
            if (1000 + std::distance(m_running.begin(), m_running.find(name)) == pid) {
                return memory_of(name, run);
            }
        }
        return util::Error{"no such pid"};
    }
    util::Result<std::optional<core::Bytes>> peak(int) override {
        return std::optional<core::Bytes>{};
    }
    util::Result<std::uint64_t> cpu_usage_ns(int) override { return std::uint64_t{0}; }
    util::Result<std::vector<std::uint16_t>> listening_ports(int) override {
        return std::vector<std::uint16_t>{};
    }

    // --- os::OomCounterReader: a host without cgroup limits (v2, systemd driver), where every
    // kill is system-wide; a dead container's cgroup is gone.
    core::OomCounters oom_counters(bool own_readable) const {
        const core::OomLevel own{
            "/system.slice/docker-c.scope", "", std::nullopt, own_readable, 0, 0, 0};
        const core::OomLevel parent{"/system.slice", "", std::nullopt, true, oom_kills, 0, 0};
        return core::OomCounters{2, oom_kills, {own, parent}};
    }
    util::Result<core::OomCounters> read(int) override { return oom_counters(true); }
    core::OomCounters read_again(const core::OomCounters&) override { return oom_counters(false); }

    // --- os::ProcessTable
    util::Result<std::vector<os::ProcessUsage>> largest(int) override {
        return std::vector<os::ProcessUsage>{{1, "java", 300 * k_mib}};
    }

    bool ready(const std::string& name) const {
        auto it = m_running.find(name);
        return it != m_running.end() && it->second.alive &&
               it->second.cpu_done >= m_services.at(name).cpu &&
               m_clock.now() - it->second.since >= m_services.at(name).ramp;
    }

  private:
    os::FakeClock& m_clock;
    std::map<std::string, SimService> m_services;
    std::map<std::string, Running> m_running;
    std::vector<os::DockerEvent> m_events;
    os::MonoTime m_last_step = m_clock.now();
};

// The scaled reference workload of WORKLOAD.md (peak, steady MiB, ramp, CPU ms).
std::map<std::string, SimService> reference_workload() {
    auto s = [](int peak, int steady, int ramp_ms, int cpu_ms) {
        return SimService{peak * k_mib, steady * k_mib, Millis(ramp_ms), Millis(cpu_ms),
                          std::nullopt};
    };
    return {{"rabbitmq", s(60, 55, 1500, 1350)},
            {"config-service", s(140, 100, 2500, 2250)},
            {"eureka-server", s(160, 115, 2800, 2500)},
            {"gateway-service", s(180, 130, 4000, 3600)},
            {"zookeeper", s(36, 33, 500, 450)},
            {"kafka", s(245, 175, 1500, 1350)},
            {"chat-service", s(245, 175, 7000, 6300)},
            {"gesture-service", s(20, 18, 400, 360)},
            {"randhand-kafka-consumer", s(14, 13, 200, 180)}};
}

core::StartPlan plan_for(const std::map<std::string, SimService>& services,
                         std::vector<std::pair<std::string, std::vector<std::string>>> order,
                         core::Gate gate, int concurrency) {
    core::StartPlan plan;
    plan.gate = gate;
    plan.concurrency = concurrency;
    plan.reserve = core::MemoryAmount{64 * k_mib, 0, false};
    plan.settle = seconds(5);
    plan.psi = 20;
    plan.poll = Millis(250);
    plan.sleep = seconds(6);
    for (const auto& [name, deps] : order) {
        core::ServicePlan service;
        service.name = name;
        service.need = services.at(name).peak;
        service.need_source = core::NeedSource::declared;
        service.ready_by = core::ReadySignal::probe;
        service.timeout = seconds(60);
        for (const auto& dep : deps) {
            service.depends_on.push_back({dep, core::DependsCondition::service_started, {}});
        }
        plan.services.push_back(service);
    }
    return plan;
}

std::vector<std::pair<std::string, std::vector<std::string>>> reference_order() {
    return {{"rabbitmq", {}},
            {"config-service", {"rabbitmq"}},
            {"eureka-server", {}},
            {"gateway-service", {"config-service"}},
            {"zookeeper", {}},
            {"kafka", {"zookeeper"}},
            {"chat-service", {"config-service", "kafka"}},
            {"gesture-service", {"eureka-server"}},
            {"randhand-kafka-consumer", {"kafka"}}};
}

struct SimRun {
    os::FakeClock clock;
    os::Cancel cancel;
    util::NullLog log;
    StartResult result;
    int probe_calls = 0;
    int probes_with_running_container = 0;  // the snapshot a probe got held its container
    std::function<void(const std::string&)> on_probe;  // called with the service probed
};

void run(SimRun& r, SimHost& host, const core::StartPlan& plan) {
    struct NoRunner final : os::ProcessRunner {
        util::Result<os::ProcessOutcome> run(const os::ProcessSpec&, os::MonoTime,
                                             const os::Cancel&) override {
            return util::Error{"unused"};
        }
    } runner;
    Context context{r.clock, r.cancel, r.clock.now() + std::chrono::minutes(10), r.log, runner,
                    &host,   &host};
    StartHost start_host{
        host,
        host,
        host,
        host,
        host,
        [&](const core::ServicePlan& service, const std::vector<os::ContainerState>& containers,
            std::string& error) {
            ++r.probe_calls;
            if (r.on_probe) {
                r.on_probe(service.name);
            }
            const auto* own = service_container(containers, service.name);
            r.probes_with_running_container += own != nullptr && own->running;
            error = "not ready";
            return host.ready(service.name);
        },
        &host};
    r.result = run_start(plan, "randhand", context, start_host);
}

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
    // Every poll (250 ms) for 5 s, then a twentieth of the time it has been starting, at most
    // 2 s apart: about 20 + 20 ln 8 + 10 = 72 attempts in 60 s, where every poll would be 240.
    EXPECT_GT(record.probe_attempts, 55);
    EXPECT_LT(record.probe_attempts, 90);
    EXPECT_EQ(record.probe_error, "not ready");
    const bool named = std::any_of(r.result.diagnosis.begin(), r.result.diagnosis.end(),
                                   [](const std::string& line) {
                                       return line.find("zookeeper: ready probe, ") == 0 &&
                                              line.find("last: not ready") != std::string::npos;
                                   });
    EXPECT_TRUE(named) << testing::PrintToString(r.result.diagnosis);
    EXPECT_EQ(start_report_json(r.result)["services"][4]["probe_error"], "not ready");
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
