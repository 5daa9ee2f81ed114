#include "os/net/http.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "os/net/tcp.hpp"
#include "os/sys/wait.hpp"

namespace stagehand::os {

namespace {

// Bytes on the wire we accept beyond the limits above: chunk framing, 1xx heads.
constexpr std::size_t k_raw_overhead = 64 * 1024;

}  // namespace

std::string http_host_header(std::string_view host, int port) {
    const bool v6 = host.find(':') != std::string_view::npos;
    return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

util::Result<HttpResponse> http_get(const IpAddress& address, int port, const HttpGet& request,
                                    MonoTime deadline, const Cancel& cancel) {
    // Refuse what would inject into the request (config values end up here).
    if (!is_plain_token(request.path) || request.path.front() != '/' ||
        !is_plain_token(request.host_header)) {
        return util::Error{"invalid request path or host"};
    }
    auto sock = tcp_connect(address, port, deadline, cancel);
    if (!sock) {
        return sock.error();
    }
    const std::string text =
        "GET " + request.path + " HTTP/1.1\r\nHost: " + request.host_header +
        "\r\nUser-Agent: stagehand\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    if (auto sent = send_all(sock->get(), text, deadline, cancel); !sent) {
        return util::Error{"sending the request: " + sent.error().message, sent.error().code};
    }
    std::string raw;
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t n = ::recv(sock->get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return util::errno_error("reading the response", errno);
        }
        if (n < 0) {
            if (auto waited = wait_fd(sock->get(), POLLIN, deadline, cancel); !waited) {
                const char* what =
                    raw.empty() ? " waiting for the response" : " reading the response";
                return util::Error{waited.error().message + what, waited.error().code};
            }
            continue;
        }
        raw.append(buffer, static_cast<std::size_t>(n));
        HttpParse parse = parse_http_response(raw, n == 0, request.max_body);
        if (parse.state == HttpParseState::complete) {
            return std::move(parse.response);
        }
        if (parse.state == HttpParseState::error) {
            return util::Error{parse.error};
        }
        if (n == 0) {  // the parser settles every response at EOF; this is a safety net
            return util::Error{"connection closed before a complete response"};
        }
        if (raw.size() > k_http_max_headers + 8 * request.max_body + k_raw_overhead) {
            return util::Error{"response too large"};
        }
    }
}

}  // namespace stagehand::os
