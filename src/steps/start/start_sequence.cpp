#include "steps/start/start_sequence.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

#include "core/gate/cpu_window.hpp"
#include "core/gate/gate.hpp"
#include "steps/start/container_watch.hpp"
#include "steps/start/start_diagnosis.hpp"
#include "util/text.hpp"
#include "util/units_text.hpp"

namespace stagehand::steps {

namespace {

using core::Decision;
using core::Millis;

// Events drive the watch; a full listing this often only backs them up.
constexpr Millis k_full_refresh{2000};
constexpr Millis k_max_recheck{2000};
// The pause before the one retry of a start Docker refused (StartLoop::up_service).
constexpr Millis k_refused_start_retry{2000};

// How often a starting service is probed, and sampled when a probe or healthcheck says when
// it is ready: every poll at first, then a twentieth of the time it has been starting, up to
// 2 s. Readiness is then seen at most 5% (or 2 s) late on a long start, while 100 services
// that take minutes cost about 50 probe attempts a second instead of 500.
Millis recheck_interval(Millis starting_for, Millis poll) {
    return std::clamp(starting_for / 20, poll, std::max(poll, k_max_recheck));
}

class StartLoop {
  public:
    StartLoop(const core::StartPlan& plan, const std::string& project, Context& context,
              StartHost& host)
        : m_plan(plan),
          m_context(context),
          m_host(host),
          m_watch(plan, project, context, host.docker, host.container_memory, host.oom_counters),
          m_started(context.clock.now()),
          m_last_probe(plan.services.size(), Millis(-1'000'000)),
          m_last_sample(plan.services.size(), Millis(-1'000'000)) {
        m_snapshot.services.resize(plan.services.size());
        for (const auto& service : plan.services) {
            ServiceRecord record;
            record.name = service.name;
            record.image = service.image;
            record.need = service.need;
            record.need_source = service.need_source;
            record.ready_by = service.ready_by;
            record.outcome = "not started";
            m_result.services.push_back(record);
        }
    }

    StartResult run() {
        if (auto begun = m_watch.begin(m_snapshot); !begun) {
            return failed("", "cannot watch the project's containers: " + begun.error().message);
        }
        m_host_oom_at_start = host_oom_kills();
        note_held_memory();
        while (!m_context.cancel.fired()) {
            if (!sample()) {
                return std::move(m_result);
            }
            Decision decision = core::decide(m_plan, m_snapshot);
            if (decision.kind == Decision::Kind::start && m_plan.gate == core::Gate::adaptive) {
                // Re-sample right before the irreversible act (earlyoom re-reads memory
                // before it kills): the figures may have moved since the last tick.
                if (!sample()) {
                    return std::move(m_result);
                }
                decision = core::decide(m_plan, m_snapshot);
            }
            if (!act(decision)) {
                return std::move(m_result);
            }
        }
        return interrupted();
    }

  private:
    Millis starting_for(std::size_t service) const {
        const auto since = m_snapshot.services[service].started_at;
        return since.count() < 0 ? Millis(0) : m_snapshot.now - since;
    }

    Millis now() const {
        return std::chrono::duration_cast<Millis>(m_context.clock.now() - m_started);
    }

    // Reads memory, events and probes into the snapshot; false when the run must stop.
    bool sample() {
        m_snapshot.now = now();
        auto memory = m_host.memory.read();
        if (!memory) {
            failed("", "cannot read available memory: " + memory.error().message);
            return false;
        }
        m_snapshot.total = memory->total;
        m_snapshot.available = memory->available;
        m_snapshot.psi_some_avg10 = memory->psi_some_avg10;
        m_result.memory_source = memory->source;
        m_result.memory.push_back(
            {m_snapshot.now, memory->available, memory->total, memory->psi_some_avg10});
        auto ooms = m_watch.apply_events(m_snapshot);
        if (!ooms) {
            failed("", after_host_oom_kills(ooms.error().message));  // the daemon went away
            return false;
        }
        m_result.oom_kills += *ooms;
        sample_cpu();
        if (m_snapshot.now - m_last_full_refresh >= k_full_refresh) {
            m_last_full_refresh = m_snapshot.now;
            if (auto refreshed = m_watch.refresh_all(m_snapshot); !refreshed) {
                if (refreshed.error().code == os::k_daemon_unresponsive) {
                    // A frozen daemon: name it now, not the service startup.timeout would.
                    failed("", after_host_oom_kills(refreshed.error().message));
                    return false;
                }
                m_context.log.debug("", refreshed.error().message);
            }
        }
        m_watch.sample_containers(m_snapshot, [&](std::size_t i) {
            // Inferred readiness needs every sample its CPU and settle windows have.
            const bool inferred = m_plan.services[i].ready_by == core::ReadySignal::inferred ||
                                  m_snapshot.services[i].phase != core::Phase::starting;
            const Millis every =
                inferred ? Millis(0) : recheck_interval(starting_for(i), m_plan.poll);
            if (m_snapshot.now - m_last_sample[i] < every) {
                return false;
            }
            m_last_sample[i] = m_snapshot.now;
            return true;
        });
        run_probes();
        for (const auto& transition : core::advance(m_plan, m_snapshot)) {
            note_transition(transition);
        }
        return true;
    }

    // Idle CPU of the host (or CPU-limited cgroup), for concurrency auto.
    void sample_cpu() {
        auto sample = m_host.cpu.read();
        if (!sample) {
            if (!m_cpu_unreadable) {
                m_context.log.debug("",
                                    "CPU use unreadable (concurrency auto starts one service "
                                    "at a time): " +
                                        sample.error().message);
            }
            m_cpu_unreadable = true;
            m_snapshot.cpu_idle.reset();
            return;
        }
        m_snapshot.cpu_idle = m_cpu.add(m_snapshot.now, sample->used_ns, sample->cpus);
        m_snapshot.cpu_idle_since = m_cpu.since();
    }

    void run_probes() {
        for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
            const auto& service = m_plan.services[i];
            auto& state = m_snapshot.services[i];
            if (state.phase != core::Phase::starting ||
                service.ready_by != core::ReadySignal::probe ||
                m_snapshot.now - m_last_probe[i] < recheck_interval(starting_for(i), m_plan.poll) ||
                !state.running) {
                continue;
            }
            m_last_probe[i] = m_snapshot.now;
            std::string error;
            state.probe_passed = m_host.probe(service, m_watch.containers(), error);
            auto& record = m_result.services[i];
            ++record.probe_attempts;
            if (!state.probe_passed && error != record.probe_error) {
                // Only when the reason changes: a service that takes a minute would otherwise
                // write the same line every poll into the log file.
                m_context.log.debug(service.name, "ready probe: " + error + " (attempt " +
                                                      std::to_string(record.probe_attempts) + ")");
            }
            record.probe_error = state.probe_passed ? "" : error;
        }
    }

    void note_transition(const core::Transition& transition) {
        auto& record = m_result.services[transition.service];
        const auto& state = m_snapshot.services[transition.service];
        record.ready_at = state.ready_at;
        record.outcome = core::to_string(transition.to);
        record.ready_signals = transition.signals;
        record.warning = record.warning || transition.warning;
        if (transition.warning) {
            m_context.log.warn(record.name, transition.message);
        } else {
            m_context.log.info(record.name, transition.message);
        }
    }

    bool act(const Decision& decision) {
        switch (decision.kind) {
            case Decision::Kind::start:
                return start(decision);
            case Decision::Kind::wait:
                wait(decision);
                return true;
            case Decision::Kind::fail:
                fail(decision);
                return false;
            case Decision::Kind::done:
                m_result.ok = true;
                m_result.all_ready = m_snapshot.now;
                finish_records();
                return false;
        }
        return false;
    }

    void close_wait(std::size_t index) {
        auto& waits = m_result.services[index].waits;
        if (!waits.empty() && waits.back().to < Millis(0)) {
            waits.back().to = m_snapshot.now;
        }
    }

    // A service whose container already runs holds its memory now; if compose recreates it,
    // the old container stops first. The gate counts that toward its need (the plan stays
    // as the caller made it).
    void note_held_memory() {
        for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
            if (!m_watch.was_running(i)) {
                continue;
            }
            const auto held = m_watch.current_usage(i);
            m_snapshot.services[i].held = held;
            m_context.log.debug(m_plan.services[i].name, "already running with " +
                                                             core::format_mib(held) +
                                                             ", which counts toward its need");
        }
    }

    // Until the next sample: `poll`, or k_quiet_tick while a quiet second or the CPU window
    // of concurrency auto is being timed (README "The start gate").
    Millis tick(const Decision& decision) const {
        const bool timing_cpu =
            std::any_of(decision.reasons.begin(), decision.reasons.end(),
                        [](const core::Reason& r) { return r.kind == core::ReasonKind::cpu; });
        bool inferred_starting = false;
        for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
            inferred_starting =
                inferred_starting || (m_snapshot.services[i].phase == core::Phase::starting &&
                                      m_plan.services[i].ready_by == core::ReadySignal::inferred);
        }
        return timing_cpu || inferred_starting ? std::min(m_plan.poll, core::k_quiet_tick)
                                               : m_plan.poll;
    }

    bool start(const Decision& decision);
    void wait(const Decision& decision);
    void fail(const Decision& decision);
    void finish_records();
    StartResult failed(const std::string& service, const std::string& why);
    util::Status up_service(const std::string& name);
    std::optional<std::int64_t> host_oom_kills();
    std::string after_host_oom_kills(const std::string& message);
    StartResult interrupted();
    void add_diagnosis(std::vector<std::string> lines);

    const core::StartPlan& m_plan;
    Context& m_context;
    StartHost& m_host;
    ContainerWatch m_watch;
    os::MonoTime m_started;
    core::Snapshot m_snapshot;
    std::vector<Millis> m_last_probe;
    std::vector<Millis> m_last_sample;
    Millis m_last_full_refresh{0};
    // The service whose `compose up` a signal (or the deadline) cut short.
    std::optional<std::size_t> m_cut_short;
    // /proc/vmstat oom_kill when the loop began (nullopt: no kernel counters).
    std::optional<std::int64_t> m_host_oom_at_start;
    core::CpuWindow m_cpu;
    bool m_cpu_unreadable = false;
    StartResult m_result;
};

bool StartLoop::start(const Decision& decision) {
    const auto index = decision.service;
    const auto& service = m_plan.services[index];
    auto& record = m_result.services[index];
    close_wait(index);
    const auto held = m_snapshot.services[index].held;
    std::string message =
        "starting (need " + core::format_mib(service.need) + " " +
        core::to_string(service.need_source) +
        (held > 0 ? ", its running container holds " + core::format_mib(held) : std::string()) +
        ", available " + core::format_mib(m_snapshot.available) + ")";
    if (decision.warning) {
        record.warning = true;
        m_context.log.warn(service.name,
                           decision.reasons.empty() ? message : decision.reasons[0].text);
    } else {
        m_context.log.info(service.name, message);
    }
    auto up = up_service(service.name);
    if (!up) {
        if (m_context.cancel.fired()) {
            m_cut_short = index;  // for interrupted(): the signal cut this start short
        }
        if (up.error().code == os::k_daemon_unresponsive) {
            failed("", after_host_oom_kills(up.error().message));  // not the service's fault
            return false;
        }
        fail(Decision{Decision::Kind::fail,
                      index,
                      {{core::ReasonKind::crash,
                        after_host_oom_kills("compose could not start " + service.name + ": " +
                                             up.error().message)}},
                      false});
        return false;
    }
    auto& state = m_snapshot.services[index];
    state.phase = core::Phase::starting;
    state.started_at = m_snapshot.now;
    // After compose returned: auto concurrency judges the CPU only over a window that began
    // once the container was running.
    m_snapshot.last_start = now();
    record.started_at = m_snapshot.now;
    record.outcome = "starting";
    if (!m_result.first_start) {
        m_result.first_start = m_snapshot.now;
    }
    if (auto refreshed = m_watch.refresh(index, m_snapshot); !refreshed) {
        if (refreshed.error().code == os::k_daemon_unresponsive) {
            failed("", refreshed.error().message);
            return false;
        }
        m_context.log.warn(service.name, refreshed.error().message);
    }
    record.container_id = m_watch.container_id(index);
    if (m_watch.was_running(index) && record.container_id == m_watch.previous_id(index) &&
        state.running) {
        // compose found it up to date and left it alone: it is as ready as it was.
        record.unchanged = true;
        state.phase = core::Phase::ready;
        state.ready_at = m_snapshot.now;
        record.ready_at = m_snapshot.now;
        record.outcome = "unchanged";
        m_context.log.info(service.name, "up to date, container left running");
    }
    return true;
}

void StartLoop::wait(const Decision& decision) {
    const auto index = decision.service;
    auto& state = m_snapshot.services[index];
    std::string reasons;
    for (const auto& reason : decision.reasons) {
        reasons += (reasons.empty() ? "" : "; ") + reason.text;
    }
    if (state.phase == core::Phase::pending && !decision.reasons.empty()) {
        if (state.waiting_since < Millis(0)) {
            state.waiting_since = m_snapshot.now;
        }
        // One wait record per stretch of the same kind of reason; its text is the first.
        auto& waits = m_result.services[index].waits;
        const auto& first = decision.reasons.front();
        if (waits.empty() || waits.back().to >= Millis(0) || waits.back().kind != first.kind) {
            close_wait(index);
            waits.push_back({first.kind, first.text, m_snapshot.now, Millis(-1)});
        }
    }
    m_context.log.progress("gate", m_plan.services[index].name, "waiting for " + reasons);
    const auto until = std::min(m_context.clock.now() + tick(decision), m_context.deadline);
    m_context.clock.wait_readable(m_watch.event_fd(), until, m_context.cancel);
}

void StartLoop::finish_records() {
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        close_wait(i);
        m_result.services[i].peak = m_snapshot.services[i].peak;
        m_result.services[i].oom_kill = m_snapshot.services[i].oom.kind;
    }
}

// A start Docker refused with a server error (EIO: HTTP 500, compose's "OCI runtime ...
// failed") can be transient: seen in the VM after a power cut, runc's "waiting for init
// preliminary setup: read init-p: connection reset by peer" (Docker 26.1, memory pressure)
// failed one start and with it the whole boot; the same start a moment later works. Docker's
// own restart policies retry for the same reason. Once only: a refusal that lasts is the
// answer; and not after a kernel OOM kill, which is then the cause (after_host_oom_kills).
util::Status StartLoop::up_service(const std::string& name) {
    auto up = m_host.compose.up_service(name, m_context.deadline, m_context.cancel);
    if (up || up.error().code != EIO) {
        return up;
    }
    if (const auto kills = host_oom_kills();
        kills && m_host_oom_at_start && *kills > *m_host_oom_at_start) {
        return up;
    }
    m_context.log.warn(name, "Docker refused the start (" + util::first_line(up.error().message) +
                                 "): retrying the start once in " +
                                 util::format_seconds(k_refused_start_retry));
    const auto retry_at =
        std::min(m_context.deadline, m_context.clock.now() + k_refused_start_retry);
    if (!m_context.clock.sleep_until(retry_at, m_context.cancel)) {
        return up;  // cancelled: the caller sees the interruption
    }
    return m_host.compose.up_service(name, m_context.deadline, m_context.cancel);
}

std::optional<std::int64_t> StartLoop::host_oom_kills() {
    // No container: read_again with no cgroup levels reads the host's counter alone.
    return m_host.oom_counters != nullptr ? m_host.oom_counters->read_again({}).host_oom_kill
                                          : std::nullopt;
}

// Docker failing mid-start in a stampede (its daemon silent or gone, a start refused) is
// usually the OOM killer's bystander (VM, gate: none, 2026-12-06: a kernel OOM kill, then
// dockerd silent for 10 s under the pressure; in CI's VM, a verdict naming no OOM kill
// though the kernel had killed a container). Such verdicts named only Docker's error. The
// kernel's own counter, which needs no daemon, tells whether memory ran out first; if it did,
// that is the cause and comes first.
std::string StartLoop::after_host_oom_kills(const std::string& message) {
    const auto now = host_oom_kills();
    if (!now || !m_host_oom_at_start || *now <= *m_host_oom_at_start) {
        return message + memory_shortage_note(m_watch.lowest_available(), m_snapshot.total,
                                              m_snapshot.psi_some_avg10);
    }
    const auto kills = *now - *m_host_oom_at_start;
    // The report counts them too (and a run with an OOM kill teaches no profile).
    m_result.oom_kills = std::max(m_result.oom_kills, static_cast<int>(kills));
    return oom_kills_first(kills, m_watch.lowest_available(), message);
}

StartResult StartLoop::failed(const std::string& service, const std::string& why) {
    if (m_context.cancel.fired() && !m_result.interrupted) {
        // A Docker call or compose child that SIGTERM (or the deadline) cut short fails with
        // "cancelled": the interruption is the cause, not that call (issue 13).
        return interrupted();
    }
    m_result.ok = false;
    m_result.failed_service = service;
    m_result.failure = why;
    finish_records();
    return m_result;
}

void StartLoop::fail(const Decision& decision) {
    if (m_context.cancel.fired()) {
        interrupted();  // no container diagnosis: its calls would only say "cancelled"
        return;
    }
    const auto index = decision.service;
    const auto& service = m_plan.services[index];
    failed(service.name,
           decision.reasons.empty() ? service.name + " failed" : decision.reasons[0].text);
    m_result.services[index].outcome = "failed";
    const auto& state = m_snapshot.services[index];
    if (state.phase != core::Phase::pending) {
        add_diagnosis(container_diagnosis(service.name, state, m_watch.containers()[index],
                                          m_result.services[index], m_host.docker,
                                          m_context.clock.now() + Millis(5000), m_context.cancel));
    } else {
        add_diagnosis(memory_diagnosis(m_plan, m_snapshot, m_host.processes));
    }
}

void StartLoop::add_diagnosis(std::vector<std::string> lines) {
    m_result.diagnosis.insert(m_result.diagnosis.end(), std::make_move_iterator(lines.begin()),
                              std::make_move_iterator(lines.end()));
}

StartResult StartLoop::interrupted() {
    m_result.interrupted = true;
    auto interruption = describe_interruption(m_context.cancel.reason(), m_plan, m_snapshot,
                                              m_result.services, m_cut_short);
    add_diagnosis(std::move(interruption.diagnosis));
    return failed(interruption.service, interruption.verdict);
}

}  // namespace

StartResult run_start(const core::StartPlan& plan, const std::string& project, Context& context,
                      StartHost& host) {
    StartLoop loop(plan, project, context, host);
    return loop.run();
}

}  // namespace stagehand::steps
