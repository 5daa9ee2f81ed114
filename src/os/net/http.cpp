#include "os/net/http.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "os/net/tcp.hpp"
#include "util/sanitize.hpp"

namespace stagehand::os {

namespace {

// Bytes on the wire we accept beyond the limits above: chunk framing, 1xx heads.
constexpr std::size_t k_raw_overhead = 64 * 1024;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char ch) {
        return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    });
    return out;
}

// End of the head (status line + headers): just past "\r\n\r\n" or "\n\n"; npos if absent.
std::size_t find_head_end(std::string_view raw) {
    const std::size_t crlf = raw.find("\r\n\r\n");
    const std::size_t lf = raw.find("\n\n");
    const std::size_t a = crlf == std::string_view::npos ? crlf : crlf + 4;
    const std::size_t b = lf == std::string_view::npos ? lf : lf + 2;
    return std::min(a, b);
}

// "HTTP/1.1 200 OK" (the reason phrase may be empty or missing).
bool parse_status_line(std::string_view line, HttpResponse& response) {
    line = trim(line);
    if (line.substr(0, 7) != "HTTP/1." || line.size() < 12 || line[8] != ' ') {
        return false;
    }
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        return false;
    }
    if (line.size() > 12 && line[12] != ' ') {
        return false;
    }
    response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    response.reason = line.size() > 13 ? std::string(trim(line.substr(13))) : std::string();
    return true;
}

// Header lines ("Name: value"); lines without a colon (obsolete folding) are skipped.
void parse_headers(std::string_view block, HttpResponse& response) {
    while (!block.empty()) {
        const std::size_t eol = block.find('\n');
        const std::string_view line = block.substr(0, eol);
        block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 1);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            continue;
        }
        response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
    }
}

const std::string* find_header(const HttpResponse& response, std::string_view name) {
    const std::string* found = nullptr;
    for (const auto& [key, value] : response.headers) {
        if (key == name) {
            found = &value;  // the last one wins
        }
    }
    return found;
}

bool is_chunked(const HttpResponse& response) {
    const std::string* te = find_header(response, "transfer-encoding");
    if (te == nullptr) {
        return false;
    }
    const std::string value = lower(*te);
    const std::size_t comma = value.rfind(',');
    return trim(comma == std::string::npos ? value : std::string_view(value).substr(comma + 1)) ==
           "chunked";
}

HttpParse fail(std::string error) {
    HttpParse parse;
    parse.state = HttpParseState::error;
    parse.error = std::move(error);
    return parse;
}

HttpParse short_body(bool eof) {
    return eof ? fail("connection closed before the end of the body") : HttpParse{};
}

HttpParse complete(HttpResponse response) {
    HttpParse parse;
    parse.state = HttpParseState::complete;
    parse.response = std::move(response);
    return parse;
}

// Parses one chunk-size line ("1a;ext=1"); false when it is not hex or absurdly large.
bool parse_chunk_size(std::string_view line, std::size_t& size) {
    line = trim(line.substr(0, line.find(';')));
    if (line.empty() || line.size() > 12) {
        return false;
    }
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    return ec == std::errc() && end == line.data() + line.size();
}

HttpParse decode_chunked(std::string_view data, bool eof, std::size_t max_body,
                         HttpResponse response) {
    std::size_t pos = 0;
    for (;;) {
        const std::size_t eol = data.find('\n', pos);
        if (eol == std::string_view::npos) {
            return data.size() - pos > 1024 ? fail("chunk size line too long") : short_body(eof);
        }
        std::size_t size = 0;
        if (!parse_chunk_size(data.substr(pos, eol - pos), size)) {
            return fail("malformed chunk size");
        }
        pos = eol + 1;
        if (size == 0) {
            return complete(std::move(response));  // trailers are of no interest
        }
        const std::size_t room = max_body - response.body.size();
        const std::size_t available = data.size() - pos;
        if (size > room) {
            if (available < room) {
                return short_body(eof);
            }
            response.body.append(data.substr(pos, room));
            response.body_truncated = true;
            return complete(std::move(response));
        }
        if (available < size + 1) {
            return short_body(eof);
        }
        response.body.append(data.substr(pos, size));
        pos += size;
        if (data[pos] == '\r') {
            if (pos + 1 >= data.size()) {
                return short_body(eof);
            }
            ++pos;
        }
        if (data[pos] != '\n') {
            return fail("chunk not followed by CRLF");
        }
        ++pos;
    }
}

HttpParse parse_body(std::string_view data, bool eof, std::size_t max_body, HttpResponse response) {
    if (response.status == 204 || response.status == 304) {
        return complete(std::move(response));
    }
    if (is_chunked(response)) {
        return decode_chunked(data, eof, max_body, std::move(response));
    }
    if (const std::string* cl = find_header(response, "content-length")) {
        std::size_t length = 0;
        const auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
        if (ec != std::errc() || end != cl->data() + cl->size()) {
            return fail("malformed Content-Length");
        }
        const std::size_t want = std::min(length, max_body);
        if (data.size() < want) {
            return short_body(eof);
        }
        response.body.assign(data.substr(0, want));
        response.body_truncated = length > max_body;
        return complete(std::move(response));
    }
    // No length: the body runs until the server closes (we asked for Connection: close).
    if (data.size() > max_body || eof) {
        response.body.assign(data.substr(0, max_body));
        response.body_truncated = data.size() > max_body;
        return complete(std::move(response));
    }
    return {};
}

}  // namespace

HttpParse parse_http_response(std::string_view raw, bool eof, std::size_t max_body) {
    for (;;) {
        const std::size_t head_end = find_head_end(raw);
        if (head_end == std::string_view::npos) {
            if (raw.size() > k_http_max_headers) {
                return fail("response headers larger than 16 KiB");
            }
            if (!eof) {
                return {};
            }
            return fail(raw.empty() ? "connection closed without a response"
                                    : "connection closed before a complete response");
        }
        if (head_end > k_http_max_headers) {
            return fail("response headers larger than 16 KiB");
        }
        const std::string_view head = raw.substr(0, head_end);
        const std::size_t line_end = head.find('\n');
        HttpResponse response;
        if (!parse_status_line(head.substr(0, line_end), response)) {
            return fail("not an HTTP response: \"" +
                        util::sanitize_line(head.substr(0, line_end), 60) + "\"");
        }
        parse_headers(head.substr(line_end + 1), response);
        raw.remove_prefix(head_end);
        // 1xx heads (100 Continue, 103 Early Hints) precede the real answer.
        if (response.status >= 100 && response.status < 200 && response.status != 101) {
            continue;
        }
        return parse_body(raw, eof, max_body, std::move(response));
    }
}

std::string http_host_header(std::string_view host, int port) {
    const bool v6 = host.find(':') != std::string_view::npos;
    return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

util::Result<HttpResponse> http_get(const IpAddress& address, int port, const HttpGet& request,
                                    MonoTime deadline, const Cancel& cancel) {
    auto printable = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
            return static_cast<unsigned char>(ch) > 0x20 && ch != 0x7F;
        });
    };
    // Refuse what would inject into the request (config values end up here).
    if (!printable(request.path) || request.path.front() != '/' ||
        !printable(request.host_header)) {
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
