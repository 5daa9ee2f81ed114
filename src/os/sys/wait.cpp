#include "os/sys/wait.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

namespace stagehand::os {

namespace {

// poll(2)'s timeout for the time left: rounded up by 1 ms (poll rounds down, and waking just
// before the deadline would spin once more), capped at a minute so a clock step is noticed.
int poll_timeout_ms(MonoTime deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<long long>(left.count() + 1, 0, 60'000));
}

// The one loop; `cancel` may be null.
util::Status wait_until(std::span<pollfd> fds, MonoTime deadline, const Cancel* cancel) {
    // The cancel fd goes last, in a copy: callers keep their own array small and fixed.
    std::vector<pollfd> all(fds.begin(), fds.end());
    all.push_back(pollfd{cancel != nullptr ? cancel->fd() : -1, POLLIN, 0});
    for (;;) {
        if (cancel != nullptr && cancel->fired()) {
            return util::Error{"cancelled", ECANCELED};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return util::Error{"timed out", ETIMEDOUT};
        }
        for (auto& entry : all) {
            entry.revents = 0;
        }
        const int rc = ::poll(all.data(), all.size(), poll_timeout_ms(deadline));
        if (rc < 0 && errno != EINTR) {
            return util::errno_error("poll", errno);
        }
        // EINTR and spurious wake-ups go round the loop: the deadline is absolute.
        bool ready = false;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            fds[i].revents = all[i].revents;
            ready = ready || all[i].revents != 0;
        }
        if (rc > 0 && ready) {
            return {};
        }
    }
}

}  // namespace

util::Status wait_any(std::span<pollfd> fds, MonoTime deadline, const Cancel& cancel) {
    return wait_until(fds, deadline, &cancel);
}

util::Status wait_any(std::span<pollfd> fds, MonoTime deadline) {
    return wait_until(fds, deadline, nullptr);
}

util::Status wait_fd(int fd, short events, MonoTime deadline, const Cancel& cancel) {
    pollfd entry{fd, events, 0};
    return wait_any(std::span<pollfd>(&entry, 1), deadline, cancel);
}

}  // namespace stagehand::os
