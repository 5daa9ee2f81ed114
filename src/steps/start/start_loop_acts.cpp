#include "steps/start/start_loop.hpp"

#include <algorithm>
#include <cerrno>

#include "steps/start/start_diagnosis.hpp"
#include "util/text.hpp"
#include "util/units_text.hpp"

namespace stagehand::steps {

namespace {

using core::Decision;
using core::Millis;

// The pause before the one retry of a start Docker refused (StartLoop::up_service).
constexpr Millis k_refused_start_retry{2000};

}  // namespace

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
    wait_until(std::min(m_context.clock.now() + tick(decision), m_context.deadline));
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
    // The samples are from before the call that failed, and a call to a silent daemon blocks
    // for its 10 s: the shortage that silenced it may show only now (CI's VM, 2026-12-07: 179
    // of 967 MiB available at the last sample, the kernel's kill after the verdict). Memory
    // needs no daemon to read.
    auto lowest = m_watch.lowest_available();
    auto psi = m_snapshot.psi_some_avg10;
    if (auto memory = m_host.memory.read()) {
        lowest = std::min(lowest.value_or(memory->available), memory->available);
        if (memory->psi_some_avg10) {
            psi = std::max(psi.value_or(0.0), *memory->psi_some_avg10);
        }
    }
    const auto now = host_oom_kills();
    if (!now || !m_host_oom_at_start || *now <= *m_host_oom_at_start) {
        return message + memory_shortage_note(lowest, m_snapshot.total, psi);
    }
    const auto kills = *now - *m_host_oom_at_start;
    // The report counts them too (and a run with an OOM kill teaches no profile).
    m_result.oom_kills = std::max(m_result.oom_kills, static_cast<int>(kills));
    return oom_kills_first(kills, lowest, message);
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

}  // namespace stagehand::steps
