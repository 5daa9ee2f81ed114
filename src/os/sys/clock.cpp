#include "os/sys/clock.hpp"

#include <cerrno>

#include "os/sys/wait.hpp"

namespace stagehand::os {

MonoTime SystemClock::now() const {
    return std::chrono::steady_clock::now();
}

WallTime SystemClock::wall_now() const {
    return std::chrono::system_clock::now();
}

bool SystemClock::sleep_until(MonoTime until, const Cancel& cancel) {
    // No fds: only the deadline or the cancel ends the wait; a poll error (ENOMEM) ends
    // the sleep early, and the caller's loop re-checks its own deadline.
    const auto waited = wait_any({}, until, cancel);
    return waited || waited.error().code != ECANCELED;
}

bool SystemClock::wait_readable(int fd, MonoTime until, const Cancel& cancel) {
    pollfd entry{fd, POLLIN, 0};
    // POLLHUP and POLLERR count as readable: the caller's read reports the end or the cause.
    return static_cast<bool>(wait_any(std::span<pollfd>(&entry, 1), until, cancel));
}

}  // namespace stagehand::os
