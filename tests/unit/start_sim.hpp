#pragma once
// A simulated small host for the start loop's tests: services that ramp memory to a peak,
// burn CPU (one CPU shared by all busy services), hold the peak until ready, then drop to
// steady, in a 1 GiB box that OOM-kills when overcommitted. Time is a FakeClock, so a 30 s
// deployment runs in milliseconds. It also plays the kernel: each container's CPU time,
// high-water mark and listening ports, and the host's CPU.

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <set>

#include "core/gate/gate.hpp"
#include "os/docker/docker.hpp"
#include "steps/probe/probe_runner.hpp"
#include "steps/start/start_report.hpp"
#include "steps/start/start_sequence.hpp"
#include "support/fake_clock.hpp"
#include "support/no_runner.hpp"
#include "support/null_log.hpp"
#include "support/recording_log.hpp"

namespace stagehand::steps::sim {

using core::k_mib;
using core::Millis;
using std::chrono::seconds;

struct SimService {
    core::Bytes peak = 0;
    core::Bytes steady = 0;
    Millis ramp{1000};
    Millis cpu{2000};  // CPU time to burn before ready; one CPU shared by all busy services
    std::optional<Millis> crash_after;  // exits with code 3 then
    // When it opens its port: from the start (then keeps burning CPU), once ready, or never
    // (a worker).
    enum class Listen { early, when_ready, never } listen = Listen::when_ready;
    std::uint16_t port = 8080;
};

// One host: Docker, compose, memory readers and the process table, all driven by the clock.
class SimHost final : public os::Docker,
                      public os::Compose,
                      public os::MemoryReader,
                      public os::ContainerMemory,
                      public os::ProcessTable,
                      public os::OomCounterReader {
  public:
    SimHost(testing::FakeClock& clock, std::map<std::string, SimService> services)
        : m_clock(clock), m_services(std::move(services)) {}

    core::Bytes limit = 1024 * k_mib;
    core::Bytes base = 0;  // the cgroup holds only the containers
    // How long `compose up -d --no-deps` blocks before the container runs (0.2-0.5 s with
    // compose v2, README "Performance"): the loop samples nothing meanwhile.
    Millis up_latency{0};
    // The share of its one CPU the box gets while its services are busy. Below 100, other
    // tenants of a shared host take the rest (the benchmark's host runs builds beside it): the
    // services start slower and the box's CPU reads as partly idle however busy they are.
    int cpu_share_percent = 100;
    int oom_kills = 0;
    core::Bytes peak_used = 0;
    int lists = 0;            // project_containers calls (a list + an inspect per container)
    int light_lists = 0;      // list_containers calls (one request)
    int inspects = 0;         // inspect calls
    int cpu_reads = 0;        // a container's CPU time read
    int listening_reads = 0;  // a container's listening sockets read (readlinks + tables)
    std::vector<std::string> started;
    int refusals = 0;  // `compose up` calls refused
    // The service whose `compose up` gets the run's SIGTERM while its child runs (the Cancel
    // fires mid-call and compose's child ends "cancelled").
    std::string sigterm_during_up;
    // Once this service has started, the daemon freezes: every list and inspect waits the
    // answer timeout (10 s on the clock) and fails the way EngineDocker does.
    std::string freeze_after_up;
    // The `compose up` of this service ends with the daemon silent (compose's watchdog ping
    // timed out); with `oom_kill_before_silence`, after the kernel's OOM killer took a process:
    // an all-at-once stampede in a real 1 GiB guest (VM, 2026-12-06) stalled dockerd so.
    std::string silent_during_up;
    bool oom_kill_before_silence = false;
    // What the rest of the host holds once the daemon has gone silent: memory ran short only
    // while that `compose up` blocked (CI's VM, 2026-12-07: 179 MiB of 967 available at the
    // sample before the call, the kernel's kill came after the verdict).
    std::optional<core::Bytes> base_when_silent;
    // The `compose up` of this service fails the way Docker refuses a start whose runc init
    // the OOM killer took (CI's VM, 2026-12-06), after the kernel's OOM killer took a process.
    std::string oom_refused_during_up;
    // Docker refuses this many `compose up` of a service the same way without an OOM kill (a
    // transient runtime error), then starts it.
    std::map<std::string, int> refused_ups;
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
        core::Bytes peak = 0;  // the kernel's high-water mark
        int pid = 0;
        std::optional<os::MonoTime> work_done;  // when its CPU work was done (it went quiet)
        std::string name;
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

    // One CPU: the busy services share the time since the last step (the box's share of it).
    void burn_cpu() {
        const auto dt = std::chrono::duration_cast<Millis>(m_clock.now() - m_last_step);
        const Millis work = dt * cpu_share_percent / 100;
        m_last_step = m_clock.now();
        std::vector<Running*> busy;
        for (auto& [name, run] : m_running) {
            if (run.alive && run.cpu_done < m_services.at(name).cpu) {
                busy.push_back(&run);
            }
        }
        const auto n = static_cast<long>(busy.size());
        for (auto* run : busy) {
            const auto left = m_services.at(run->name).cpu - run->cpu_done;
            if (work / n >= left) {  // within this step, at its share
                run->work_done = m_last_step - dt + left * n * 100 / cpu_share_percent;
            }
            run->cpu_done += work / n;
        }
        m_cpu_busy += busy.empty() ? Millis(0) : work;

        for (auto& [name, run] : m_running) {
            run.peak = std::max(run.peak, memory_of(name, run));
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
            state.pid = run.pid;
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
    util::Result<std::unique_ptr<os::EventStream>> events(const std::string&,
                                                          const os::Cancel&) override {
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
        if (service == silent_during_up) {
            oom_kills += oom_kill_before_silence ? 1 : 0;
            base = base_when_silent.value_or(base);
            m_clock.advance(std::chrono::seconds(10));
            return util::Error{
                "Docker daemon at /var/run/docker.sock did not answer for 10s "
                "(GET /_ping) while `docker compose up -d --no-deps " +
                    service + "` ran",
                os::k_daemon_unresponsive};
        }
        if (auto refused = refused_ups.find(service);
            service == oom_refused_during_up ||
            (refused != refused_ups.end() && refused->second > 0)) {
            if (service == oom_refused_during_up) {
                ++oom_kills;
            } else {
                --refused->second;
            }
            ++refusals;
            m_clock.advance(up_latency);
            return util::Error{
                "Error response from daemon: failed to create task for container: "
                "failed to create shim task: OCI runtime create failed: runc "
                "create failed: unable to start container process: waiting for "
                "init preliminary setup: read init-p: connection reset by peer",
                EIO};
        }
        burn_cpu();
        m_clock.advance(up_latency);
        started.push_back(service);
        if (!frozen && service == freeze_after_up) {
            frozen = true;
            frozen_at = m_clock.now();
        }
        burn_cpu();
        // A stable pid per container (a position in the map would shift as others start).
        m_running[service] = Running{"c-" + service,
                                     m_clock.now(),
                                     Millis(0),
                                     true,
                                     false,
                                     0,
                                     0,
                                     1000 + static_cast<int>(started.size()),
                                     std::nullopt,
                                     service};
        return {};
    }
    // A container of the service from an earlier deployment, running at its steady size: the
    // next `up` recreates it (a new id), stopping this one first as compose does.
    void run_before(const std::string& service) {
        Running old{"old-" + service,
                    m_clock.now() - std::chrono::minutes(5),
                    Millis(0),
                    true,
                    false,
                    0,
                    0,
                    900 + static_cast<int>(m_running.size()),
                    std::nullopt,
                    service};
        old.cpu_done = m_services.at(service).cpu;
        m_running[service] = old;
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
            if (run.pid == pid) {
                return memory_of(name, run);
            }
        }
        return util::Error{"no such pid"};
    }

    util::Result<std::optional<core::Bytes>> peak(int pid) override {
        if (auto* run = by_pid(pid)) {
            return std::optional<core::Bytes>(run->peak);
        }
        return util::Error{"no such pid", ESRCH};
    }
    util::Result<std::uint64_t> cpu_usage_ns(int pid) override {
        ++cpu_reads;
        step();
        if (auto* run = by_pid(pid)) {
            return static_cast<std::uint64_t>(run->cpu_done.count()) * 1'000'000;
        }
        return util::Error{"no such pid", ESRCH};
    }
    util::Result<std::vector<std::uint16_t>> listening_ports(int pid) override {
        ++listening_reads;
        for (auto& [name, run] : m_running) {
            if (&run != by_pid(pid) || !run.alive) {
                continue;
            }
            const auto& s = m_services.at(name);
            const bool open = s.listen == SimService::Listen::early ||
                              (s.listen == SimService::Listen::when_ready && ready(name));
            return open ? std::vector<std::uint16_t>{s.port} : std::vector<std::uint16_t>{};
        }
        return util::Error{"no such pid", ESRCH};
    }

    // The host's one CPU, for SimCpu (CpuReader::read would clash with MemoryReader::read).
    util::Result<os::CpuSample> read_cpu() {
        step();
        return os::CpuSample{static_cast<std::uint64_t>(m_cpu_busy.count()) * 1'000'000, 1.0,
                             "simulated 1 CPU"};
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

    // When the service's CPU work was done, on the run's clock (what its CPU went quiet at).
    Millis quiet_since(const std::string& name, os::MonoTime run_start) const {
        return std::chrono::duration_cast<Millis>(*m_running.at(name).work_done - run_start);
    }

    // The container's true high-water mark (what the kernel would report).
    core::Bytes true_peak(const std::string& name) const { return m_running.at(name).peak; }

    Running* by_pid(int pid) {
        for (auto it = m_running.begin(); it != m_running.end(); ++it) {
            if (it->second.pid == pid) {
                return &it->second;
            }
        }
        return nullptr;
    }

  private:
    testing::FakeClock& m_clock;
    Millis m_cpu_busy{0};
    std::map<std::string, SimService> m_services;
    std::map<std::string, Running> m_running;
    std::vector<os::DockerEvent> m_events;
    os::MonoTime m_last_step = m_clock.now();
};

// The scaled reference workload of WORKLOAD.md (peak, steady MiB, ramp, CPU ms).
inline std::map<std::string, SimService> reference_workload() {
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

inline core::StartPlan plan_for(const std::map<std::string, SimService>& services,
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

inline std::vector<std::pair<std::string, std::vector<std::string>>> reference_order() {
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
    testing::FakeClock clock;
    os::Cancel cancel;
    testing::RecordingLog log;
    StartResult result;
    int probe_calls = 0;
    int probes_with_running_container = 0;  // the snapshot a probe got held its container
    std::function<void(const std::string&)> on_probe;  // called with the service probed
};

inline void run(SimRun& r, SimHost& host, const core::StartPlan& plan) {
    testing::NoRunner runner;
    struct SimCpu final : os::CpuReader {
        explicit SimCpu(SimHost& h) : host(h) {}
        util::Result<os::CpuSample> read() override { return host.read_cpu(); }
        SimHost& host;
    } cpu(host);
    Context context{r.clock, r.cancel, r.clock.now() + std::chrono::minutes(10), r.log, runner,
                    &host,   &host};
    StartHost start_host{
        host,
        host,
        host,
        host,
        cpu,
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

}  // namespace stagehand::steps::sim
