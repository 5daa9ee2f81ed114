#include "os/net/tcp.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace stagehand::os {

util::Result<UniqueFd> tcp_connect(const IpAddress& address, int port, MonoTime deadline,
                                   const Cancel& cancel) {
    const std::string what = "connect to " + format_endpoint(address, port);
    UniqueFd sock(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!sock.valid()) {
        return util::errno_error(what + ": socket", errno);
    }
    socklen_t length = 0;
    const sockaddr_storage target = to_sockaddr(address, port, length);
    if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&target), length) == 0) {
        return sock;
    }
    if (errno != EINPROGRESS && errno != EINTR) {
        return util::errno_error(what, errno);
    }
    if (auto waited = wait_fd(sock.get(), POLLOUT, deadline, cancel); !waited) {
        return util::Error{what + ": " + waited.error().message, waited.error().code};
    }
    int err = 0;
    socklen_t err_len = sizeof err;
    if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
        return util::errno_error(what + ": getsockopt", errno);
    }
    if (err != 0) {
        return util::errno_error(what, err);
    }
    return sock;
}

util::Status send_all(int fd, std::string_view data, MonoTime deadline, const Cancel& cancel) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return util::errno_error("send", errno);
        }
        if (auto waited = wait_fd(fd, POLLOUT, deadline, cancel); !waited) {
            return waited;
        }
    }
    return {};
}

}  // namespace stagehand::os
