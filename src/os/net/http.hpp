#pragma once
// A minimal HTTP/1.1 GET client for probes: one request, `Connection: close`, bounded read,
// one deadline covering connect + send + read. No TLS, no redirects (a 3xx is an answer).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "os/net/address.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

constexpr std::size_t k_http_max_headers = 16 * 1024;  // status line + headers
constexpr std::size_t k_http_max_body = 64 * 1024;     // body bytes kept (decoded)

struct HttpResponse {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;             // decoded (chunked), at most the body limit
    bool body_truncated = false;  // the body went on beyond the limit; reading stopped there
};

enum class HttpParseState { incomplete, complete, error };

struct HttpParse {
    HttpParseState state = HttpParseState::incomplete;
    HttpResponse response;  // complete
    std::string error;      // error: "malformed status line", ...
};

// Parses the bytes received so far with Boost.Beast's HTTP parser (os/net/http_response.cpp).
// `eof`: the peer closed the connection (ends a body without Content-Length; makes a short
// body an error). Handles Content-Length, chunked transfer encoding (extensions and trailers
// ignored; the terminating CRLF is required) and read-to-close. A response is complete as
// soon as `max_body` body bytes are in and more are known to follow, so a huge or endless
// body never blocks a probe. Tolerated like curl does: bare-LF line ends in the head, a
// status line without a reason, header lines without a colon (dropped). Sample:
//   HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n
//   {"status":"UP"}
HttpParse parse_http_response(std::string_view raw, bool eof,
                              std::size_t max_body = k_http_max_body);

// The Host header value: "web:8080", "[::1]:8080" (brackets for IPv6 literals).
std::string http_host_header(std::string_view host, int port);

struct HttpGet {
    std::string host_header;  // see http_host_header
    std::string path = "/";   // path and query, starting with '/'
    std::size_t max_body = k_http_max_body;
};

// GET request.path from address:port. Connect, send and read all end by `deadline` (real
// steady_clock); `cancel` aborts. Errors: "connect to 10.0.0.5:80: Connection refused",
// "timed out waiting for the response", "connection closed before a complete response", ...
util::Result<HttpResponse> http_get(const IpAddress& address, int port, const HttpGet& request,
                                    MonoTime deadline, const Cancel& cancel);

}  // namespace stagehand::os
