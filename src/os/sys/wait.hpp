#pragma once
// The one wait of stagehand (skalibs' iopause): poll a set of fds next to the run's Cancel
// against an absolute deadline on the monotonic clock. The EINTR loop and the deadline
// arithmetic live here only; the clock, TCP, the resolver, HTTP, the process runner and the
// Docker Engine client wait through it.

#include <poll.h>

#include <span>

#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// Waits until one of `fds` reports an event (its `revents` is then set; POLLERR, POLLHUP and
// POLLNVAL count, so the caller's next syscall on that fd reports the cause), `deadline`
// passes (error "timed out", ETIMEDOUT) or `cancel` fires (error "cancelled", ECANCELED).
// `fds` may be empty (a cancellable sleep); negative fds are ignored, as poll(2) does.
// `deadline` is on std::chrono::steady_clock. A cancel already fired wins over ready fds.
util::Status wait_any(std::span<pollfd> fds, MonoTime deadline, const Cancel& cancel);

// wait_any without a Cancel: for a wait that must last to its deadline although Cancel has
// fired (ending a cancelled child's group: its grace period, while its pipes drain). Never
// fails with "cancelled".
util::Status wait_any(std::span<pollfd> fds, MonoTime deadline);

// wait_any for one fd and `events` (POLLIN / POLLOUT).
util::Status wait_fd(int fd, short events, MonoTime deadline, const Cancel& cancel);

}  // namespace stagehand::os
