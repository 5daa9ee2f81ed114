#pragma once
// validate-service's decisions (SPEC section 7) as pure functions, the way the gate is: the
// loop in steps/validate lists the containers and runs the probes, hands what it saw to
// judge_check() and judge_run(), and acts on the verdicts (logs, ends the step). No I/O and
// no clock: every time is the time since the step began.

#include <cstddef>
#include <optional>
#include <string>

#include "core/model/container.hpp"
#include "core/model/types.hpp"

namespace stagehand::core {

struct ValidateTiming {
    Millis timeout{5 * 60 * 1000};  // validate.timeout
    Millis interval{1000};          // between attempts of a check while it passes
    Millis stable{10 * 1000};       // how long a check must hold
};

// One check's progress between rounds; only judge_check() changes it.
struct CheckWindow {
    std::optional<Millis> held_since;  // the probe has passed at every attempt since
    Millis next_due{0};                // when its next attempt is due
    int attempts = 0;
    int failures = 0;          // consecutive failed attempts, for the backoff
    std::string container_id;  // the container last seen; a new id: it was recreated
    int restart_count = 0;     // Docker's RestartCount when last seen
};

// The check's service container as one listing showed it.
struct ContainerSeen {
    std::string id;
    int restart_count = 0;
    ContainerFacts facts;
};

enum class CheckVerdictKind {
    waiting,     // no attempt judged: only the container was looked at, and it is alive
    holding,     // the attempt passed; it has held for less than `stable`
    passed,      // it has held for `stable`: the check is done
    failing,     // the attempt failed; the next one after the backoff
    crashed,     // the container exited non-zero, restarts or is dead: failed at once
    oom_killed,  // the kernel OOM-killed the container: failed at once
};

const char* to_string(CheckVerdictKind kind);

// Why the window started over before this verdict.
enum class WindowReset { none, restarted, recreated };

struct CheckVerdict {
    CheckVerdictKind kind = CheckVerdictKind::waiting;
    WindowReset reset = WindowReset::none;
    // holding, passed: how long it has held; failing: how long it had held before this
    // failure (0: it was not holding).
    Millis held{0};
};

// One round of one check at `now`. `container`: its service's container in this round's
// listing (null: not listed, or not looked at in this call); `probe_passed`: the result of
// this round's attempt (nullopt: no attempt). The container is judged first: a crash or an
// OOM kill fails the check whatever the probe said, a restart or a recreated container
// starts the window over. A passing attempt is next due after `interval`, but never after
// the window would complete; a failing one after the backoff.
CheckVerdict judge_check(CheckWindow& window, const ValidateTiming& timing, Millis now,
                         const ContainerSeen* container, std::optional<bool> probe_passed);

// The pause before the next attempt after `failures` consecutive failures: `interval`, then
// doubling, capped at max(interval, 5 s).
Millis backoff(Millis interval, int failures);

enum class RunVerdict {
    going,      // checks are pending and time is left
    settled,    // no check is pending, or one failed at once (the rest are aborted)
    timed_out,  // validate.timeout passed
    deadline,   // the run's deadline passed, before validate.timeout would have
};

// Whether the step ends after a round. `deadline`: the run's deadline, since the step began.
RunVerdict judge_run(std::size_t pending, bool failed_at_once, Millis now,
                     const ValidateTiming& timing, Millis deadline);

}  // namespace stagehand::core
