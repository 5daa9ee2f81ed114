#include "runtime/exit_codes.hpp"

#include <cerrno>

namespace stagehand::runtime {

Ending ending_of_error(int error_code) {
    switch (error_code) {
        case ECANCELED:
            return Ending::interrupted;
        case ETIMEDOUT:
            return Ending::timed_out;
        default:
            return Ending::failed;
    }
}

ExitCode exit_code_for(Ending ending, os::CancelReason reason) {
    switch (ending) {
        case Ending::succeeded:
            return ExitCode::success;
        case Ending::failed:
            return ExitCode::step_failed;
        case Ending::timed_out:
            return ExitCode::deadline;
        case Ending::interrupted:
            break;
    }
    switch (reason) {
        case os::CancelReason::sigint:
            return ExitCode::sigint;
        case os::CancelReason::sigterm:
            return ExitCode::sigterm;
        case os::CancelReason::deadline:
            return ExitCode::deadline;
        case os::CancelReason::none:
            break;
    }
    return ExitCode::step_failed;
}

}  // namespace stagehand::runtime
