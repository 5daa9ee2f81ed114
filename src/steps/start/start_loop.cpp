#include "steps/start/start_loop.hpp"

#include <algorithm>

namespace stagehand::steps {

namespace {

using core::Decision;
using core::Millis;

// Events drive the watch; a full listing this often only backs them up.
constexpr Millis k_full_refresh{2000};
constexpr Millis k_max_recheck{2000};
// Probe attempts (and container samples) a second, across the services starting at once.
constexpr std::size_t k_recheck_budget = 50;

// How often a starting service is probed, and sampled when a probe or healthcheck says when
// it is ready: every poll while the services starting together stay within 50 attempts a
// second, less often when more start at once, at most 2 s apart. The service that starts last
// decides when the deployment ends, so its readiness is seen within a poll however long it
// took; a hundred services that take minutes cost about 50 attempts a second, not 500.
Millis recheck_interval(std::size_t rechecked, Millis poll) {
    const Millis spread = Millis(1000) * static_cast<Millis::rep>(rechecked) /
                          static_cast<Millis::rep>(k_recheck_budget);
    return std::clamp(spread, poll, std::max(poll, k_max_recheck));
}

}  // namespace

StartLoop::StartLoop(const core::StartPlan& plan, const std::string& project, Context& context,
                     StartHost& host)
    : m_plan(plan),
      m_context(context),
      m_host(host),
      m_watch(plan, project, context, host.docker, host.container_memory, host.oom_counters),
      m_started(context.clock.now()),
      m_last_probe(plan.services.size(), Millis(-1'000'000)),
      m_last_sample(plan.services.size(), Millis(-1'000'000)),
      m_quiet_edges(plan.services.size()),
      m_probe_now(plan.services.size(), false) {
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

StartResult StartLoop::run() {
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

std::size_t StartLoop::count_rechecked() const {
    std::size_t count = 0;
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        count += m_snapshot.services[i].phase == core::Phase::starting &&
                 m_plan.services[i].ready_by != core::ReadySignal::inferred;
    }
    return count;
}

Millis StartLoop::now() const {
    return std::chrono::duration_cast<Millis>(m_context.clock.now() - m_started);
}

bool StartLoop::sample() {
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
    m_recheck_every = recheck_interval(count_rechecked(), m_plan.poll);
    m_watch.sample_containers(m_snapshot, [&](std::size_t i) {
        // Inferred readiness needs every sample its CPU and settle windows have.
        const bool inferred = m_plan.services[i].ready_by == core::ReadySignal::inferred ||
                              m_snapshot.services[i].phase != core::Phase::starting;
        const Millis every = inferred ? Millis(0) : m_recheck_every;
        // Probed now because it went quiet: it may be ready, and its peak is what it learns.
        if (m_snapshot.now - m_last_sample[i] < every && !m_probe_now[i]) {
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

void StartLoop::sample_cpu() {
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

void StartLoop::run_probes() {
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        const auto& service = m_plan.services[i];
        auto& state = m_snapshot.services[i];
        const bool due = m_snapshot.now - m_last_probe[i] >= m_recheck_every || m_probe_now[i];
        if (state.phase != core::Phase::starting || service.ready_by != core::ReadySignal::probe ||
            !due || !state.running) {
            continue;
        }
        m_last_probe[i] = m_snapshot.now;
        m_probe_now[i] = false;
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

void StartLoop::wait_until(os::MonoTime until) {
    auto& clock = m_context.clock;
    while (!m_context.cancel.fired()) {
        bool watching = false;
        for (std::size_t i = 0; i < m_plan.services.size() && !watching; ++i) {
            watching = watches_quiet_edge(i);
        }
        const auto slice_end = watching ? std::min(until, clock.now() + core::k_edge_tick) : until;
        if (clock.wait_readable(m_watch.event_fd(), slice_end, m_context.cancel) ||
            slice_end >= until || went_quiet()) {
            return;
        }
    }
}

bool StartLoop::watches_quiet_edge(std::size_t index) const {
    const auto& state = m_snapshot.services[index];
    return m_recheck_every == m_plan.poll && m_plan.poll > 2 * core::k_edge_tick &&
           state.phase == core::Phase::starting &&
           m_plan.services[index].ready_by == core::ReadySignal::probe && state.running &&
           m_watch.containers()[index].pid > 0;
}

bool StartLoop::went_quiet() {
    bool any = false;
    const auto at = now();
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        auto& edge = m_quiet_edges[i];
        if (!watches_quiet_edge(i)) {
            edge.reset();
            continue;
        }
        // One small file read per service (cpuacct.usage or cpu.stat): 40 a second for each
        // of the few services watched, against a probe that would otherwise come up to a poll
        // after the service was ready.
        auto used = m_host.container_memory.cpu_usage_ns(m_watch.containers()[i].pid);
        if (!used) {
            edge.reset();  // gone or unreadable: its probe and samples say why
            continue;
        }
        if (edge.add(at, *used, m_plan.quiet)) {
            m_probe_now[i] = true;
            any = true;
        }
    }
    return any;
}

void StartLoop::note_transition(const core::Transition& transition) {
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

bool StartLoop::act(const Decision& decision) {
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

void StartLoop::close_wait(std::size_t index) {
    auto& waits = m_result.services[index].waits;
    if (!waits.empty() && waits.back().to < Millis(0)) {
        waits.back().to = m_snapshot.now;
    }
}

void StartLoop::note_held_memory() {
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        if (!m_watch.was_running(i)) {
            continue;
        }
        const auto held = m_watch.current_usage(i);
        m_snapshot.services[i].held = held;
        m_context.log.debug(
            m_plan.services[i].name,
            "already running with " + core::format_mib(held) + ", which counts toward its need");
    }
}

Millis StartLoop::tick(const Decision& decision) const {
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

StartResult run_start(const core::StartPlan& plan, const std::string& project, Context& context,
                      StartHost& host) {
    StartLoop loop(plan, project, context, host);
    return loop.run();
}

}  // namespace stagehand::steps
