#include "steps/validate/validate.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/load/units.hpp"
#include "core/validate/validate_decision.hpp"
#include "steps/oom/oom_watch.hpp"
#include "steps/validate/validate_text.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {

namespace {

constexpr core::Millis k_docker_timeout{10000};  // one container listing
constexpr core::Millis k_diagnosis_timeout{5000};
constexpr int k_log_lines = 10;
constexpr std::size_t k_log_line_bytes = 200;

struct CheckState {
    const ValidateCheck* check = nullptr;
    CheckOutcome outcome;
    bool done = false;
    core::CheckWindow window;  // advanced only by core::judge_check
};

// Docker's state in the terms core judges a crash in (the same reading as the start loop's
// container watch: "created" is not yet started, "dead" failed to stop or be removed).
core::ContainerSeen seen(const os::ContainerState& c, const core::OomVerdict& oom) {
    core::ContainerFacts facts;
    facts.restarting = c.restarting;
    facts.exited = c.has_exited();
    facts.dead = c.status == "dead";
    facts.exit_code = c.exit_code;
    facts.oom = oom;
    return {c.id, c.restart_count, facts};
}

class Validator {
  public:
    Validator(Context& ctx, const ValidatePlan& plan, Prober& prober,
              os::OomCounterReader* oom_counters)
        : m_ctx(ctx),
          m_plan(plan),
          m_prober(prober),
          m_start(ctx.clock.now()),
          m_timing{plan.timeout, plan.interval, plan.stable},
          m_oom(oom_counters, ctx.log) {
        m_end = std::min(m_start + plan.timeout, ctx.deadline);
        for (const auto& check : plan.checks) {
            CheckState state;
            state.check = &check;
            state.outcome.service = check.service;
            state.outcome.description = core::describe(check.probe);
            state.outcome.kind = check.probe.kind;
            state.outcome.default_check = check.default_check;
            m_states.push_back(std::move(state));
        }
    }

    ValidateOutcome run() {
        m_ctx.log.info("", "validating " + std::to_string(m_states.size()) +
                               " checks: each must hold " + core::format_duration(m_plan.stable) +
                               " (timeout " + core::format_duration(m_plan.timeout) + ")");
        for (;;) {
            const os::MonoTime now = m_ctx.clock.now();
            round(now);
            const core::RunVerdict verdict = core::judge_run(
                pending(), m_failed_at_once, elapsed(now), m_timing, elapsed(m_ctx.deadline));
            if (verdict == core::RunVerdict::settled) {
                finish_pending(CheckFailure::aborted, now);
                break;
            }
            if (m_ctx.cancel.fired()) {
                stop_on_cancel(now);
                break;
            }
            if (verdict != core::RunVerdict::going) {
                const bool deadline = verdict == core::RunVerdict::deadline;
                finish_pending(deadline ? CheckFailure::deadline : CheckFailure::timed_out, now);
                (deadline ? m_outcome.deadline_passed : m_outcome.timed_out) = true;
                break;
            }
            if (!m_ctx.clock.sleep_until(std::min(next_due(), m_end), m_ctx.cancel)) {
                stop_on_cancel(m_ctx.clock.now());
                break;
            }
        }
        return finish();
    }

  private:
    std::size_t pending() const {
        return static_cast<std::size_t>(std::count_if(m_states.begin(), m_states.end(),
                                                      [](const CheckState& s) { return !s.done; }));
    }

    os::MonoTime next_due() const {
        os::MonoTime next = os::MonoTime::max();
        for (const auto& s : m_states) {
            if (!s.done) {
                next = std::min(next, m_start + s.window.next_due);
            }
        }
        return next;
    }

    // One round: a fresh container listing, container watch for every pending check, then
    // the attempts that are due, concurrently.
    void round(os::MonoTime now) {
        auto listed = m_ctx.docker->project_containers(
            m_plan.project, std::min(m_ctx.deadline, now + k_docker_timeout), m_ctx.cancel);
        const std::vector<os::ContainerState>* snapshot = nullptr;
        if (listed) {
            snapshot = &*listed;
            for (auto& s : m_states) {
                if (!s.done) {
                    watch(s, service_container(*snapshot, s.check->service), now);
                }
            }
            // After the round's observations: a container already dead at the first round
            // may have died before validate-service began, so the host's count from now is
            // no baseline for it; for one recreated later, the previous round's count is.
            m_oom.tick(elapsed(now), std::nullopt);
        } else {
            m_ctx.log.debug("", "listing containers failed: " + listed.error().message);
        }
        std::vector<CheckState*> due;
        for (auto& s : m_states) {
            if (!s.done && s.window.next_due <= elapsed(now)) {
                due.push_back(&s);
            }
        }
        const auto results = attempt_all(due, snapshot);
        for (std::size_t i = 0; i < due.size(); ++i) {
            record(*due[i], results[i], now);
        }
        report_progress(now);
    }

    std::vector<ProbeResult> attempt_all(const std::vector<CheckState*>& due,
                                         const std::vector<os::ContainerState>* snapshot) {
        std::vector<ProbeResult> results(due.size());
        auto one = [&](std::size_t i) {
            try {
                results[i] = m_prober.attempt(due[i]->check->service, due[i]->check->probe,
                                              snapshot, m_ctx.deadline, m_ctx.cancel);
            } catch (const std::exception& e) {
                results[i] = ProbeResult{false, std::string("internal error: ") + e.what()};
            }
        };
        if (due.size() == 1) {
            one(0);
            return results;
        }
        // One thread per due attempt: a slow http probe must not delay the others. Every
        // attempt ends by its probe timeout, so the round ends by the slowest one.
        std::vector<std::thread> threads;
        threads.reserve(due.size());
        for (std::size_t i = 0; i < due.size(); ++i) {
            threads.emplace_back(one, i);
        }
        for (auto& t : threads) {
            t.join();
        }
        return results;
    }

    void watch(CheckState& s, const os::ContainerState* c, os::MonoTime now) {
        if (c == nullptr) {
            return;  // the probe reports the missing container
        }
        s.outcome.has_container = true;
        s.outcome.container = *c;
        // The kernel's counters, read from the first round on, say whether a SIGKILL was the
        // OOM killer's (core/oom); Docker's OOMKilled flag alone is not trusted (it is set on
        // v1 bystanders that keep running, and missing for system-wide kills).
        s.outcome.oom = m_oom.observe(*c, elapsed(now));
        const core::ContainerSeen container = seen(*c, s.outcome.oom);
        const core::CheckVerdict verdict =
            core::judge_check(s.window, m_timing, elapsed(now), &container, std::nullopt);
        if (verdict.kind == core::CheckVerdictKind::crashed ||
            verdict.kind == core::CheckVerdictKind::oom_killed) {
            fail_at_once(s,
                         verdict.kind == core::CheckVerdictKind::oom_killed
                             ? CheckFailure::oom_killed
                             : CheckFailure::crashed,
                         s.outcome.oom.kind == core::OomKind::none
                             ? "container " + describe_state(*c)
                             : core::describe_exit("container", s.outcome.oom, c->exit_code),
                         now);
            return;
        }
        if (verdict.reset != core::WindowReset::none) {
            m_ctx.log.warn(s.check->service, s.outcome.description + ": container " +
                                                 (verdict.reset == core::WindowReset::recreated
                                                      ? "was recreated"
                                                      : "restarted (" + describe_state(*c) + ")") +
                                                 "; the " + core::format_duration(m_plan.stable) +
                                                 " window starts over");
        }
    }

    void fail_at_once(CheckState& s, CheckFailure failure, std::string error, os::MonoTime now) {
        s.done = true;
        s.outcome.passed = false;
        s.outcome.failure = failure;
        s.outcome.error = std::move(error);
        s.outcome.elapsed = elapsed(now);
        s.outcome.held = core::Millis{0};
        m_failed_at_once = true;
        m_ctx.log.error(s.check->service, s.outcome.description + ": " + s.outcome.error);
    }

    void record(CheckState& s, const ProbeResult& result, os::MonoTime now) {
        if (s.done) {
            return;  // failed at once in this round's container watch
        }
        const core::CheckVerdict verdict =
            core::judge_check(s.window, m_timing, elapsed(now), nullptr, result.passed);
        s.outcome.attempts = s.window.attempts;
        s.outcome.held =
            verdict.kind == core::CheckVerdictKind::failing ? core::Millis{0} : verdict.held;
        if (verdict.kind == core::CheckVerdictKind::failing) {
            if (verdict.held > core::Millis{0}) {
                m_ctx.log.warn(s.check->service, s.outcome.description + " failed after holding " +
                                                     short_duration(verdict.held) + ": " +
                                                     result.error);
            }
            s.outcome.error = result.error;
            return;
        }
        s.outcome.error.clear();
        if (verdict.kind == core::CheckVerdictKind::passed) {
            s.done = true;
            s.outcome.passed = true;
            s.outcome.elapsed = elapsed(now);
            m_ctx.log.info(s.check->service,
                           s.outcome.description + " held " + core::format_duration(m_plan.stable) +
                               ": passed after " + short_duration(s.outcome.elapsed));
        }
    }

    void report_progress(os::MonoTime now) {
        for (std::size_t i = 0; i < m_states.size(); ++i) {
            const CheckState& s = m_states[i];
            if (s.done) {
                continue;
            }
            std::string message = s.outcome.description;
            if (s.window.held_since) {
                message += " held " + short_duration(held(s, now)) + " of " +
                           core::format_duration(m_plan.stable);
            } else if (s.outcome.attempts > 0) {
                message += ": " + s.outcome.error + " (attempt " +
                           std::to_string(s.outcome.attempts) + ", next in " +
                           short_duration(s.window.next_due - elapsed(now)) + ")";
            } else {
                message += ": waiting for the first attempt";
            }
            m_ctx.log.progress("validate:" + std::to_string(i), s.check->service, message);
        }
    }

    void stop_on_cancel(os::MonoTime now) {
        const bool deadline = m_ctx.cancel.reason() == os::CancelReason::deadline;
        finish_pending(deadline ? CheckFailure::deadline : CheckFailure::cancelled, now);
        (deadline ? m_outcome.deadline_passed : m_outcome.cancelled) = true;
    }

    void finish_pending(CheckFailure failure, os::MonoTime now) {
        for (auto& s : m_states) {
            if (s.done) {
                continue;
            }
            s.done = true;
            s.outcome.failure = failure;
            s.outcome.elapsed = elapsed(now);
            s.outcome.held = s.window.held_since ? held(s, now) : core::Millis{0};
            if (s.outcome.error.empty()) {
                s.outcome.error = s.outcome.attempts == 0
                                      ? "not attempted"
                                      : "held " + short_duration(s.outcome.held) + " of " +
                                            core::format_duration(m_plan.stable);
            }
        }
    }

    ValidateOutcome finish() {
        const os::MonoTime now = m_ctx.clock.now();
        m_outcome.elapsed = elapsed(now);
        m_outcome.stable = m_plan.stable;
        m_outcome.passed = std::all_of(m_states.begin(), m_states.end(),
                                       [](const CheckState& s) { return s.outcome.passed; });
        if (!m_outcome.passed && !m_outcome.cancelled) {
            diagnose(now);
        }
        for (auto& s : m_states) {
            m_outcome.checks.push_back(std::move(s.outcome));
        }
        return std::move(m_outcome);
    }

    // The latest container state and last log lines of every failing service.
    void diagnose(os::MonoTime now) {
        const os::MonoTime until = now + k_diagnosis_timeout;
        auto listed = m_ctx.docker->project_containers(m_plan.project, until, m_ctx.cancel);
        std::vector<std::string> seen;
        for (auto& s : m_states) {
            if (s.outcome.passed || s.outcome.failure == CheckFailure::aborted) {
                continue;
            }
            const os::ContainerState* c =
                listed ? service_container(*listed, s.check->service) : nullptr;
            if (c != nullptr) {
                s.outcome.has_container = true;
                s.outcome.container = *c;
            }
            if (!s.outcome.has_container ||
                std::find(seen.begin(), seen.end(), s.check->service) != seen.end()) {
                continue;
            }
            seen.push_back(s.check->service);
            auto tail =
                m_ctx.docker->logs_tail(s.outcome.container.id, k_log_lines, until, m_ctx.cancel);
            if (!tail) {
                m_ctx.log.debug(s.check->service, "no logs: " + tail.error().message);
                continue;
            }
            const std::size_t skip = tail->size() > k_log_lines ? tail->size() - k_log_lines : 0;
            for (std::size_t i = skip; i < tail->size(); ++i) {
                s.outcome.log_tail.push_back(util::sanitize_line((*tail)[i], k_log_line_bytes));
            }
        }
    }

    core::Millis held(const CheckState& s, os::MonoTime now) const {
        return elapsed(now) - *s.window.held_since;
    }
    core::Millis elapsed(os::MonoTime now) const {
        return std::chrono::duration_cast<core::Millis>(now - m_start);
    }

    Context& m_ctx;
    const ValidatePlan& m_plan;
    Prober& m_prober;
    os::MonoTime m_start;
    core::ValidateTiming m_timing;
    os::MonoTime m_end;
    std::vector<CheckState> m_states;
    bool m_failed_at_once = false;
    ValidateOutcome m_outcome;
    OomWatch m_oom;
};

}  // namespace

ValidateOutcome run_validate(Context& ctx, const ValidatePlan& plan, Prober& prober,
                             os::OomCounterReader* oom_counters) {
    if (ctx.docker == nullptr) {  // a wiring bug in the hook, not a runtime condition
        throw std::invalid_argument("run_validate needs Context::docker");
    }
    return Validator(ctx, plan, prober, oom_counters).run();
}

}  // namespace stagehand::steps
