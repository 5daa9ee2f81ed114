#include "os/sys/wait.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "os/sys/clock.hpp"
#include "os/sys/unique_fd.hpp"

namespace stagehand::os {
namespace {

using std::chrono::milliseconds;

MonoTime in(milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

struct SocketPair {
    UniqueFd a, b;
    SocketPair() {
        int fds[2] = {-1, -1};
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        a = UniqueFd(fds[0]);
        b = UniqueFd(fds[1]);
    }
};

TEST(SysWait, ReadyFdIsReportedInRevents) {
    SocketPair pair;
    ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
    Cancel cancel;
    pollfd fds[2] = {{pair.b.get(), POLLIN, 0}, {pair.a.get(), POLLIN, 0}};
    ASSERT_TRUE(wait_any(fds, in(milliseconds(5000)), cancel));
    EXPECT_EQ(fds[0].revents, 0);
    EXPECT_NE(fds[1].revents & POLLIN, 0);
}

TEST(SysWait, DeadlineHoldsWhenNothingHappens) {
    SocketPair pair;
    Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    const auto waited = wait_fd(pair.a.get(), POLLIN, in(milliseconds(50)), cancel);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, ETIMEDOUT);
    EXPECT_EQ(waited.error().message, "timed out");
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
}

TEST(SysWait, PastDeadlineReturnsAtOnce) {
    Cancel cancel;
    const auto waited = wait_any({}, in(milliseconds(-1)), cancel);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, ETIMEDOUT);
}

TEST(SysWait, CancelFromAnotherThreadWakesTheWait) {
    SocketPair pair;
    Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    std::thread firer([&] {
        std::this_thread::sleep_for(milliseconds(20));
        cancel.fire(CancelReason::sigterm);
    });
    const auto waited = wait_fd(pair.a.get(), POLLIN, in(milliseconds(30000)), cancel);
    firer.join();
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, ECANCELED);
    EXPECT_EQ(waited.error().message, "cancelled");
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
}

TEST(SysWait, FiredCancelWinsOverAReadyFd) {
    SocketPair pair;
    ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
    Cancel cancel;
    cancel.fire(CancelReason::sigint);
    const auto waited = wait_fd(pair.a.get(), POLLIN, in(milliseconds(5000)), cancel);
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error().code, ECANCELED);
}

// Without a Cancel the wait lasts to its deadline, and still wakes for a ready fd: the
// process runner waits out a cancelled child's grace period like this.
TEST(SysWait, WithoutCancelOnlyTheDeadlineOrAnFdEndsTheWait) {
    SocketPair pair;
    const auto start = std::chrono::steady_clock::now();
    const auto slept = wait_any({}, in(milliseconds(50)));
    ASSERT_FALSE(slept);
    EXPECT_EQ(slept.error().code, ETIMEDOUT);
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(50));
    ASSERT_EQ(::write(pair.b.get(), "x", 1), 1);
    pollfd fd{pair.a.get(), POLLIN, 0};
    ASSERT_TRUE(wait_any(std::span<pollfd>(&fd, 1), in(milliseconds(5000))));
    EXPECT_NE(fd.revents & POLLIN, 0);
}

TEST(SysWait, SystemClockSleepsToTheDeadlineOrTheCancel) {
    SystemClock clock;
    Cancel cancel;
    const auto until = clock.now() + milliseconds(30);
    EXPECT_TRUE(clock.sleep_until(until, cancel));
    EXPECT_GE(clock.now(), until);
    cancel.fire(CancelReason::sigterm);
    EXPECT_FALSE(clock.sleep_until(clock.now() + milliseconds(30000), cancel));
}

TEST(SysWait, SystemClockWaitReadableSeesAClosedPeer) {
    SocketPair pair;
    SystemClock clock;
    Cancel cancel;
    EXPECT_FALSE(clock.wait_readable(pair.a.get(), clock.now() + milliseconds(20), cancel));
    pair.b = UniqueFd();  // POLLIN|POLLHUP: the read that follows sees EOF
    EXPECT_TRUE(clock.wait_readable(pair.a.get(), clock.now() + milliseconds(5000), cancel));
}

}  // namespace
}  // namespace stagehand::os
