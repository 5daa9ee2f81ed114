#pragma once
// The one exit-code table (SPEC section 2), used by the hooks, the tests and the docs.

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

}  // namespace stagehand::runtime
