#include "runtime/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <chrono>

namespace stagehand::runtime {

namespace {

// SIGUSR2 is our own "stop watching" wake-up for the destructor.
sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR2);
    return set;
}

}  // namespace

void block_termination_signals() {
    const sigset_t set = watched_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
}

SignalWatcher::SignalWatcher(const os::Cancel& cancel, os::MonoTime deadline)
    : m_cancel(cancel), m_deadline(deadline) {
    // The thread inherits the mask: blocking here first means the stop wake-up (SIGUSR2) can
    // never hit the default action, even when main forgot block_termination_signals().
    block_termination_signals();
    m_thread = std::thread([this] { run(); });
}

SignalWatcher::~SignalWatcher() {
    pthread_kill(m_thread.native_handle(), SIGUSR2);
    m_thread.join();
}

void SignalWatcher::run() {
    const sigset_t set = watched_signals();
    for (;;) {
        const auto left = m_deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
            m_cancel.fire(os::CancelReason::deadline);
        }
        // After the deadline keep listening for signals (and the stop wake-up).
        const auto wait = left > std::chrono::steady_clock::duration::zero()
                              ? left
                              : std::chrono::steady_clock::duration(std::chrono::hours(1));
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(wait);
        const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wait - secs);
        timespec timeout{static_cast<time_t>(secs.count()), static_cast<long>(nanos.count())};
        const int sig = sigtimedwait(&set, nullptr, &timeout);
        if (sig == SIGUSR2) {
            return;
        }
        if (sig == SIGTERM) {
            m_cancel.fire(os::CancelReason::sigterm);
        } else if (sig == SIGINT) {
            m_cancel.fire(os::CancelReason::sigint);
        }
        // EAGAIN (timeout) and EINTR go round: the deadline check is at the top.
    }
}

}  // namespace stagehand::runtime
