// The stand-in's network side: a tiny single-threaded HTTP server (enough for a health URL and
// a TCP probe) and the --probe client used by compose healthchecks in a FROM scratch image.
// IPv4 literals and "localhost" only: a static binary must not go through NSS.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "standin.hpp"

namespace stagehand::standin {
namespace {

// Owns one file descriptor.
class Fd {
  public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

  private:
    int m_fd;
};

int to_ms(double seconds) {
    return seconds < 0 ? -1 : static_cast<int>(seconds * 1000.0);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Reads the request head (up to a blank line, 4 KiB or 1 s), then answers and closes.
// One connection at a time is plenty for health checks.
void answer(int client, int status) {
    char buffer[4096];
    std::string head;
    pollfd pfd{client, POLLIN, 0};
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < sizeof buffer &&
           ::poll(&pfd, 1, 1000) > 0) {
        ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) {
            return;  // a TCP probe: connected, then closed
        }
        head.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string body = status == 200 ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}";
    const std::string reason = status == 200 ? "OK" : "Internal Server Error";
    const std::string reply =
        "HTTP/1.1 " + std::to_string(status) + " " + reason +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    // MSG_NOSIGNAL: a client that hung up must not kill the service with SIGPIPE.
    (void)::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
}

int listen_on(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

// Splits "HOST:PORT" (HOST an IPv4 literal or localhost) into an address.
bool parse_host_port(const std::string& text, sockaddr_in& addr) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        return false;
    }
    std::string host = text.substr(0, colon);
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    int port = 0;
    try {
        port = std::stoi(text.substr(colon + 1));
    } catch (...) {
        return false;
    }
    addr = sockaddr_in{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    return port > 0 && port < 65536 && ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) == 1;
}

// Connects with a deadline: a non-blocking connect, then poll for writability.
int connect_within(const sockaddr_in& addr, double timeout_s) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        pollfd pfd{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof err;
        if (errno != EINPROGRESS) {
            err = errno;
        } else if (::poll(&pfd, 1, to_ms(timeout_s)) != 1) {
            err = ETIMEDOUT;
        } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        if (err != 0) {
            ::close(fd);
            errno = err;
            return -1;
        }
    }
    return fd;
}

}  // namespace

int open_listener(int port) {
    const int fd = listen_on(port);
    if (fd < 0) {
        std::fprintf(stderr, "cannot listen on 0.0.0.0:%d: %s\n", port, std::strerror(errno));
    }
    return fd;
}

int serve_http(int port, int status, int signal_fd, double stop_after_s) {
    const int fd = open_listener(port);
    return fd < 0 ? -1 : serve_http_on(fd, status, signal_fd, stop_after_s);
}

int serve_http_on(int listener_fd, int status, int signal_fd, double stop_after_s) {
    Fd listener(listener_fd);
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        double left = stop_after_s < 0 ? -1 : stop_after_s - seconds_since(start);
        if (stop_after_s >= 0 && left <= 0) {
            return 0;
        }
        pollfd fds[2] = {{listener.get(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
        if (::poll(fds, 2, to_ms(left)) < 0 && errno != EINTR) {
            return -1;
        }
        if (fds[1].revents & POLLIN) {
            return wait_signal(signal_fd, 0);
        }
        if (fds[0].revents & POLLIN) {
            Fd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (client.get() >= 0) {
                answer(client.get(), status);
            }
        }
    }
}

bool tcp_connects(const std::string& host_port, double timeout_s) {
    sockaddr_in addr{};
    if (!parse_host_port(host_port, addr)) {
        return false;
    }
    Fd fd(connect_within(addr, timeout_s));
    return fd.get() >= 0;
}

int probe(const std::string& url, double timeout_s) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) {
        std::printf("probe: only http:// URLs: %s\n", url.c_str());
        return 1;
    }
    std::string rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    std::string host_port = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
    sockaddr_in addr{};
    if (!parse_host_port(host_port, addr)) {
        std::printf("probe: expected an IPv4 literal or localhost with a port: %s\n", url.c_str());
        return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    Fd fd(connect_within(addr, timeout_s));
    if (fd.get() < 0) {
        std::printf("probe: %s: cannot connect: %s\n", url.c_str(), std::strerror(errno));
        return 1;
    }
    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: " + host_port + "\r\nConnection: close\r\n\r\n";
    (void)::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
    std::string answer_text;
    char buffer[1024];
    pollfd pfd{fd.get(), POLLIN, 0};
    while (answer_text.find("\r\n") == std::string::npos && answer_text.size() < 4096) {
        double left = timeout_s - seconds_since(start);
        if (left <= 0 || ::poll(&pfd, 1, to_ms(left)) != 1) {
            std::printf("probe: %s: no answer within %.1fs\n", url.c_str(), timeout_s);
            return 1;
        }
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        answer_text.append(buffer, static_cast<std::size_t>(n));
    }
    std::string status_line = answer_text.substr(0, answer_text.find("\r\n"));
    int status = 0;
    std::sscanf(status_line.c_str(), "HTTP/%*d.%*d %d", &status);
    std::printf("probe: %s: %d\n", url.c_str(), status);
    return status >= 200 && status < 300 ? 0 : 1;
}

}  // namespace stagehand::standin
