#pragma once
// TCP connections whose timeouts really hold: non-blocking sockets waited on with wait_any
// (os/sys/wait.hpp) next to Cancel::fd(), against an absolute deadline on the real
// monotonic clock (std::chrono::steady_clock), as all network deadlines are.

#include <cstddef>
#include <string_view>

#include "os/net/address.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "os/sys/unique_fd.hpp"
#include "os/sys/wait.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// Opens a TCP connection to address:port by the deadline. The returned socket is
// non-blocking and close-on-exec. Errors name the endpoint: "connect to 10.0.0.5:9092:
// Connection refused", "connect to 10.255.255.1:80: timed out".
util::Result<UniqueFd> tcp_connect(const IpAddress& address, int port, MonoTime deadline,
                                   const Cancel& cancel);

// Sends all of `data` (MSG_NOSIGNAL: a peer that closed gives EPIPE, never SIGPIPE).
util::Status send_all(int fd, std::string_view data, MonoTime deadline, const Cancel& cancel);

}  // namespace stagehand::os
