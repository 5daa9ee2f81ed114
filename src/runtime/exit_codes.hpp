#pragma once
// The one exit-code table (SPEC section 2), used by the hooks, the tests and the docs, and the
// one mapping from how a hook's work ended (and why Cancel fired) to a code in that table.

#include "os/sys/cancel.hpp"

namespace stagehand::runtime {

enum class ExitCode : int {
    success = 0,
    step_failed = 1,  // image missing, service crashed, check failed, ...
    bad_input = 2,    // bad usage or invalid input; nothing was changed
    locked = 3,       // another stagehand run holds the lock
    deadline = 124,   // the deadline passed
    sigint = 130,
    sigterm = 143,
};

constexpr int to_int(ExitCode code) {
    return static_cast<int>(code);
}

// How a hook's work (or the step that ended it) ended, before it is a number.
enum class Ending {
    succeeded,
    failed,       // the step failed on its own
    timed_out,    // a wait ran into the deadline (ETIMEDOUT) before Cancel fired
    interrupted,  // cut short by Cancel (ECANCELED): SIGINT, SIGTERM or the deadline
};

// The ending of a step that failed with errno-style `error_code`: ECANCELED is interrupted,
// ETIMEDOUT timed out, anything else failed.
Ending ending_of_error(int error_code);

// SPEC section 2: succeeded 0, failed 1, timed_out 124; interrupted is 130 for SIGINT, 143
// for SIGTERM and 124 when the deadline fired Cancel (1 when Cancel never fired: a step that
// says "cancelled" without a reason is a failure of its own).
ExitCode exit_code_for(Ending ending, os::CancelReason reason);

}  // namespace stagehand::runtime
