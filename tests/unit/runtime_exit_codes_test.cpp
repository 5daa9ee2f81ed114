// The one mapping from how a hook's work ended to its exit code (SPEC section 2).

#include <gtest/gtest.h>

#include <cerrno>

#include "runtime/exit_codes.hpp"

namespace stagehand::runtime {
namespace {

struct Row {
    Ending ending;
    os::CancelReason reason;
    ExitCode expected;
};

TEST(RuntimeExitCodes, EachEndingAndReasonMapsToTheSpecTable) {
    using R = os::CancelReason;
    const Row rows[] = {
        {Ending::succeeded, R::none, ExitCode::success},
        {Ending::failed, R::none, ExitCode::step_failed},
        {Ending::timed_out, R::none, ExitCode::deadline},
        {Ending::interrupted, R::sigint, ExitCode::sigint},
        {Ending::interrupted, R::sigterm, ExitCode::sigterm},
        {Ending::interrupted, R::deadline, ExitCode::deadline},
        // A step that says "cancelled" while Cancel never fired failed on its own.
        {Ending::interrupted, R::none, ExitCode::step_failed},
        // A failure is a failure even when a signal came in after it.
        {Ending::failed, R::sigterm, ExitCode::step_failed},
        {Ending::succeeded, R::sigterm, ExitCode::success},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(exit_code_for(row.ending, row.reason), row.expected)
            << "ending " << static_cast<int>(row.ending) << ", reason "
            << static_cast<int>(row.reason);
    }
    EXPECT_EQ(to_int(ExitCode::sigterm), 143);
    EXPECT_EQ(to_int(ExitCode::sigint), 130);
    EXPECT_EQ(to_int(ExitCode::deadline), 124);
}

TEST(RuntimeExitCodes, AnErrnoNamesTheEnding) {
    EXPECT_EQ(ending_of_error(ECANCELED), Ending::interrupted);
    EXPECT_EQ(ending_of_error(ETIMEDOUT), Ending::timed_out);
    EXPECT_EQ(ending_of_error(ENOENT), Ending::failed);
    EXPECT_EQ(ending_of_error(0), Ending::failed);
}

}  // namespace
}  // namespace stagehand::runtime
