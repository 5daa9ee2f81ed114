#include "core/validate/validate_decision.hpp"

#include <algorithm>

namespace stagehand::core {

namespace {

constexpr Millis k_backoff_cap{5000};  // longest pause between failed attempts

// The container part of a round: a crash ends the check, a restart starts the window over.
CheckVerdict judge_container(CheckWindow& window, const ContainerSeen& container) {
    switch (crash_kind(container.facts, CleanExit::completes)) {
        case CrashKind::oom_killed:
            return {CheckVerdictKind::oom_killed, WindowReset::none, Millis{0}};
        case CrashKind::restarting:
        case CrashKind::exited:
            return {CheckVerdictKind::crashed, WindowReset::none, Millis{0}};
        case CrashKind::none:
            break;
    }
    CheckVerdict verdict;
    const bool seen_before = !window.container_id.empty();
    if (seen_before && container.id != window.container_id) {
        verdict.reset = WindowReset::recreated;
    } else if (seen_before && container.restart_count > window.restart_count) {
        verdict.reset = WindowReset::restarted;
    }
    if (verdict.reset != WindowReset::none) {
        window.held_since.reset();
    }
    window.container_id = container.id;
    window.restart_count = container.restart_count;
    return verdict;
}

CheckVerdict judge_attempt(CheckWindow& window, const ValidateTiming& timing, Millis now,
                           bool passed) {
    ++window.attempts;
    if (passed) {
        window.failures = 0;
        if (!window.held_since) {
            window.held_since = now;
        }
        const Millis held = now - *window.held_since;
        if (held >= timing.stable) {
            return {CheckVerdictKind::passed, WindowReset::none, held};
        }
        window.next_due = std::min(now + timing.interval, *window.held_since + timing.stable);
        return {CheckVerdictKind::holding, WindowReset::none, held};
    }
    const Millis held = window.held_since ? now - *window.held_since : Millis{0};
    window.held_since.reset();
    ++window.failures;
    window.next_due = now + backoff(timing.interval, window.failures);
    return {CheckVerdictKind::failing, WindowReset::none, held};
}

}  // namespace

const char* to_string(CheckVerdictKind kind) {
    switch (kind) {
        case CheckVerdictKind::waiting:
            return "waiting";
        case CheckVerdictKind::holding:
            return "holding";
        case CheckVerdictKind::passed:
            return "passed";
        case CheckVerdictKind::failing:
            return "failing";
        case CheckVerdictKind::crashed:
            return "crashed";
        case CheckVerdictKind::oom_killed:
            return "oom_killed";
    }
    return "?";
}

CheckVerdict judge_check(CheckWindow& window, const ValidateTiming& timing, Millis now,
                         const ContainerSeen* container, std::optional<bool> probe_passed) {
    CheckVerdict verdict;
    if (container != nullptr) {
        verdict = judge_container(window, *container);
        if (verdict.kind != CheckVerdictKind::waiting) {
            return verdict;  // failed at once: this round's attempt no longer matters
        }
    }
    if (!probe_passed) {
        return verdict;
    }
    const WindowReset reset = verdict.reset;
    verdict = judge_attempt(window, timing, now, *probe_passed);
    verdict.reset = reset;
    return verdict;
}

Millis backoff(Millis interval, int failures) {
    const Millis cap = std::max(interval, k_backoff_cap);
    Millis delay = interval;
    for (int i = 1; i < failures && delay < cap; ++i) {
        delay *= 2;
    }
    return std::min(delay, cap);
}

RunVerdict judge_run(std::size_t pending, bool failed_at_once, Millis now,
                     const ValidateTiming& timing, Millis deadline) {
    if (pending == 0 || failed_at_once) {
        return RunVerdict::settled;
    }
    if (now < std::min(timing.timeout, deadline)) {
        return RunVerdict::going;
    }
    return deadline < timing.timeout ? RunVerdict::deadline : RunVerdict::timed_out;
}

}  // namespace stagehand::core
