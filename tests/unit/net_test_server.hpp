#pragma once
// A loopback TCP server in a thread, for tests of the network probes. Each accepted
// connection is handed to the test's handler in the server thread (one at a time); the
// handler gets the `stop` Cancel so "never answer" handlers end when the server does.
// Handlers should read the request before answering and closing: closing a socket with
// unread input makes the kernel send RST, and the client may then lose the answer.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "os/sys/cancel.hpp"
#include "os/sys/unique_fd.hpp"

namespace stagehand::testing {

class TestServer {
  public:
    using Handler = std::function<void(TestServer& server, int fd, const os::Cancel& stop)>;

    // Listens on 127.0.0.1 (AF_INET) or ::1 (AF_INET6), on a free port.
    TestServer(int family, Handler handler) : m_handler(std::move(handler)) {
        m_listen.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_storage storage{};
        socklen_t length = 0;
        if (family == AF_INET6) {
            auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
            sin6->sin6_family = AF_INET6;
            sin6->sin6_addr = in6addr_loopback;
            length = sizeof(sockaddr_in6);
        } else {
            auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
            sin->sin_family = AF_INET;
            sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            length = sizeof(sockaddr_in);
        }
        auto* addr = reinterpret_cast<sockaddr*>(&storage);
        if (!m_listen.valid() || ::bind(m_listen.get(), addr, length) != 0 ||
            ::listen(m_listen.get(), 16) != 0 ||
            ::getsockname(m_listen.get(), addr, &length) != 0) {
            throw std::runtime_error("test server: cannot listen");
        }
        m_port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(addr)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(addr)->sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~TestServer() {
        m_stop.fire(os::CancelReason::sigterm);
        m_thread.join();
    }
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;

    int port() const { return m_port; }
    int accepted() const { return m_accepted.load(); }
    std::string last_request() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_last_request;
    }

    // Reads one request head (up to the blank line) from `fd`; empty on stop or EOF.
    std::string read_request(int fd, const os::Cancel& stop) {
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            if (!wait_readable(fd, stop)) {
                return {};
            }
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                return {};
            }
            request.append(buffer, static_cast<std::size_t>(n));
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        m_last_request = request;
        return request;
    }

    static void write_all(int fd, std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // Blocks until the server stops (a peer that never answers).
    static void wait_for_stop(const os::Cancel& stop) {
        pollfd pfd{stop.fd(), POLLIN, 0};
        while (::poll(&pfd, 1, -1) <= 0) {
        }
    }

  private:
    static bool wait_readable(int fd, const os::Cancel& stop) {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop.fd(), POLLIN, 0}};
        while (::poll(fds, 2, -1) <= 0) {
        }
        return fds[1].revents == 0;
    }

    void serve() {
        for (;;) {
            pollfd fds[2] = {{m_listen.get(), POLLIN, 0}, {m_stop.fd(), POLLIN, 0}};
            if (::poll(fds, 2, -1) <= 0) {
                continue;
            }
            if (fds[1].revents != 0) {
                return;
            }
            os::UniqueFd conn(::accept4(m_listen.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!conn.valid()) {
                continue;
            }
            m_accepted.fetch_add(1);
            m_handler(*this, conn.get(), m_stop);
        }
    }

    Handler m_handler;
    os::UniqueFd m_listen;
    os::Cancel m_stop;
    int m_port = 0;
    std::atomic<int> m_accepted{0};
    mutable std::mutex m_mutex;
    std::string m_last_request;
    std::thread m_thread;
};

// A port on which nothing listens: bound but not listening, so connect() is refused.
class ClosedPort {
  public:
    ClosedPort() : m_sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof sin;
        if (::bind(m_sock.get(), reinterpret_cast<sockaddr*>(&sin), length) != 0 ||
            ::getsockname(m_sock.get(), reinterpret_cast<sockaddr*>(&sin), &length) != 0) {
            throw std::runtime_error("closed port: cannot bind");
        }
        m_port = ntohs(sin.sin_port);
    }
    int port() const { return m_port; }

  private:
    os::UniqueFd m_sock;
    int m_port = 0;
};

// Waits (polling, with a real deadline) until `condition` holds; false if it never does.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace stagehand::testing
