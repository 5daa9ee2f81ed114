// The probes' HTTP response parser: Boost.Beast's (1.74) basic_parser, the one already linked
// for the Docker Engine API, with stagehand's rules around it: a capped body, 1xx heads
// skipped, and a head tolerated the way curl tolerates it (see normalise_head).

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <limits>

#include "os/net/http.hpp"
#include "util/sanitize.hpp"

namespace stagehand::os {

namespace {

namespace http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

// The end of the head (status line + headers): just past its empty line, which ends in
// CRLF or a bare LF; npos while it has not arrived.
std::size_t find_head_end(std::string_view raw) {
    for (std::size_t eol = raw.find('\n'); eol != std::string_view::npos;
         eol = raw.find('\n', eol + 1)) {
        std::size_t next = eol + 1;
        if (next < raw.size() && raw[next] == '\r') {
            ++next;
        }
        if (next < raw.size() && raw[next] == '\n') {
            return next + 1;
        }
    }
    return std::string_view::npos;
}

// Beast follows RFC 9112 to the letter; a health endpoint does not always. curl accepts, and
// so do we: bare-LF line ends (`printf 'HTTP/1.0 200 OK\n\n' | nc -l` health checks), a
// status line without the SP before an empty reason ("HTTP/1.1 204"), and header lines
// without a colon (a broken proxy's), which are dropped. Everything else is Beast's to judge.
std::string normalise_head(std::string_view head) {
    std::string out;
    out.reserve(head.size() + 64);
    bool status_line = true;
    while (!head.empty()) {
        const std::size_t eol = head.find('\n');
        std::string_view line = head.substr(0, eol);
        head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const bool folded = !line.empty() && (line.front() == ' ' || line.front() == '\t');
        const std::size_t colon = line.find(':');
        if (line.empty() || (!status_line && !folded && (colon == 0 || colon == line.npos))) {
            continue;
        }
        out.append(line);
        if (status_line && line.size() == 12 && line.substr(0, 7) == "HTTP/1.") {
            out += ' ';  // "HTTP/1.1 204": Beast wants the SP before the (empty) reason
        }
        out += "\r\n";
        status_line = false;
    }
    return out + "\r\n";
}

// Collects one response into an HttpResponse, keeping at most `max_body` body bytes. Once the
// body is known to go on past that, it stops the parse with error::body_limit (Beast's own
// body limit is off, so that code means "enough" here).
class ProbeParser final : public http::basic_parser<false> {
  public:
    explicit ProbeParser(std::size_t max_body) : m_max_body(max_body) {
        eager(true);
        // No limit of Beast's (we cap ourselves). Not boost::none: Boost 1.74 compares
        // `len_ > body_limit_` against the empty optional, which is always true.
        body_limit(std::numeric_limits<std::uint64_t>::max());
        // The head was measured against k_http_max_headers before normalising (which adds
        // at most a CR per line).
        header_limit(static_cast<std::uint32_t>(2 * k_http_max_headers));
    }
    HttpResponse response;

  private:
    std::size_t room() const { return m_max_body - response.body.size(); }
    void stop(error_code& ec) {
        response.body_truncated = true;
        ec = http::error::body_limit;
    }
    void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view reason, int, error_code&) override {
        response.status = code;
        response.reason = std::string(reason);
    }
    void on_field_impl(http::field, string_view name, string_view value, error_code&) override {
        response.headers.emplace_back(ascii_lower({name.data(), name.size()}), std::string(value));
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override {
        m_length_over = length && *length > m_max_body;
        if (m_length_over && room() == 0) {
            stop(ec);
        }
    }
    std::size_t on_body_impl(string_view body, error_code& ec) override {
        const std::size_t take = std::min(room(), body.size());
        response.body.append(body.data(), take);
        if (take < body.size() || (m_length_over && room() == 0)) {
            stop(ec);
        }
        return body.size();
    }
    // Called with size 0 for the last chunk, after its trailers (of no interest here).
    void on_chunk_header_impl(std::uint64_t size, string_view, error_code& ec) override {
        if (size > 0 && room() == 0) {
            stop(ec);
        }
    }
    std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body,
                                   error_code& ec) override {
        const std::size_t take = std::min(room(), body.size());
        response.body.append(body.data(), take);
        if (take < remain && room() == 0) {
            stop(ec);
        }
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    std::size_t m_max_body;
    bool m_length_over = false;
};

HttpParse fail(std::string error) {
    HttpParse parse;
    parse.state = HttpParseState::error;
    parse.error = std::move(error);
    return parse;
}

// Beast's error codes in the words of a probe result.
std::string describe(const error_code& ec, std::string_view status_line) {
    if (ec == http::error::bad_version || ec == http::error::bad_status ||
        ec == http::error::bad_reason) {
        return "not an HTTP response: \"" + util::sanitize_line(status_line, 60) + "\"";
    }
    if (ec == http::error::bad_content_length) {
        return "malformed Content-Length";
    }
    if (ec == http::error::bad_transfer_encoding) {
        return "malformed Transfer-Encoding";
    }
    if (ec == http::error::bad_chunk) {
        return "malformed chunked body: bad chunk size or no CRLF after the chunk";
    }
    if (ec == http::error::partial_message) {
        return "connection closed before the end of the body";
    }
    return "malformed response: " + ec.message();
}

// Feeds `data` to the parser until it is done, needs more, or fails. Called with no data
// once the head is in, so the body's start (a Content-Length beyond the cap) is seen too.
error_code feed(ProbeParser& parser, std::string_view data) {
    for (;;) {
        if (parser.is_done()) {
            return {};
        }
        error_code ec;
        const std::size_t used =
            parser.put(boost::asio::const_buffer(data.data(), data.size()), ec);
        data.remove_prefix(used);
        if (ec) {
            return ec;
        }
        if (data.empty() || used == 0) {
            return parser.is_done() ? error_code{} : error_code{http::error::need_more};
        }
    }
}

// Parses the response whose head is raw[0, head_end); `status_line` for error texts.
HttpParse parse_response(std::string_view raw, std::size_t head_end, bool eof,
                         std::size_t max_body) {
    const std::string_view status_line = raw.substr(0, raw.find_first_of("\r\n"));
    ProbeParser parser(max_body);
    error_code ec = feed(parser, normalise_head(raw.substr(0, head_end)));
    if (parser.is_header_done() && (!ec || ec == http::error::need_more)) {
        ec = feed(parser, raw.substr(head_end));
    }
    if (ec == http::error::need_more && eof) {
        ec = {};
        parser.put_eof(ec);  // ends a read-to-close body; else partial_message
    }
    if (ec == http::error::need_more) {
        return {};
    }
    if (ec && !(ec == http::error::body_limit && parser.response.body_truncated)) {
        return fail(describe(ec, status_line));
    }
    HttpParse parse;
    parse.state = HttpParseState::complete;
    parse.response = std::move(parser.response);
    return parse;
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
        HttpParse parse = parse_response(raw, head_end, eof, max_body);
        const int status = parse.response.status;
        // 1xx heads (100 Continue, 103 Early Hints) precede the real answer; Beast ends a
        // message at a 1xx head, so the next one is parsed afresh.
        if (parse.state != HttpParseState::complete || status < 100 || status >= 200 ||
            status == 101) {
            return parse;
        }
        raw.remove_prefix(head_end);
    }
}

}  // namespace stagehand::os
