#pragma once
// TCP connections whose timeouts really hold: non-blocking sockets and poll() on the socket
// next to Cancel::fd(), against an absolute deadline.

#include <cstddef>
#include <string_view>

#include "os/net/address.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "os/sys/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// Waits until `fd` has one of `events` (POLLIN / POLLOUT), the deadline passes (error
// "timed out"), or `cancel` fires (error "cancelled"). `deadline` is on the real monotonic
// clock (std::chrono::steady_clock), as all network deadlines are.
util::Status wait_fd(int fd, short events, MonoTime deadline, const Cancel& cancel);

// Opens a TCP connection to address:port by the deadline. The returned socket is
// non-blocking and close-on-exec. Errors name the endpoint: "connect to 10.0.0.5:9092:
// Connection refused", "connect to 10.255.255.1:80: timed out".
util::Result<UniqueFd> tcp_connect(const IpAddress& address, int port, MonoTime deadline,
                                   const Cancel& cancel);

// Sends all of `data` (MSG_NOSIGNAL: a peer that closed gives EPIPE, never SIGPIPE).
util::Status send_all(int fd, std::string_view data, MonoTime deadline, const Cancel& cancel);

}  // namespace stagehand::os
