#include "os/sys/clock.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace stagehand::os {

MonoTime SystemClock::now() const {
    return std::chrono::steady_clock::now();
}

WallTime SystemClock::wall_now() const {
    return std::chrono::system_clock::now();
}

bool SystemClock::sleep_until(MonoTime until, const Cancel& cancel) {
    for (;;) {
        if (cancel.fired()) {
            return false;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now());
        if (left.count() <= 0) {
            return true;
        }
        pollfd pfd{cancel.fd(), POLLIN, 0};
        const int wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 60'000));
        // EINTR and spurious wake-ups just go round the loop: the deadline is absolute.
        (void)::poll(&pfd, 1, wait_ms);
    }
}

bool SystemClock::wait_readable(int fd, MonoTime until, const Cancel& cancel) {
    for (;;) {
        if (cancel.fired()) {
            return false;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd fds[2] = {{cancel.fd(), POLLIN, 0}, {fd, POLLIN, 0}};
        const int wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 60'000));
        if (::poll(fds, fd >= 0 ? 2 : 1, wait_ms) > 0 &&
            (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
            return true;
        }
    }
}

bool FakeClock::wait_readable(int /*fd*/, MonoTime until, const Cancel& cancel) {
    sleep_until(until, cancel);
    return false;
}

bool FakeClock::sleep_until(MonoTime until, const Cancel& cancel) {
    if (cancel.fired()) {
        return false;
    }
    if (until > m_now) {
        m_now = until;
    }
    return true;
}

}  // namespace stagehand::os
