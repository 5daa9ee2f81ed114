#pragma once
// Internal to src/os/docker: the Engine API's bytes on the wire -- the request head
// EngineClient sends and Beast's parser for the answer -- apart from the waiting, which is
// engine_client.cpp's.

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "os/docker/engine_client.hpp"

namespace stagehand::os {

// "GET /_ping HTTP/1.1\r\nHost: docker\r\n...\r\n\r\n": the head of a body-less request, with
// `Connection: close` (one request per connection).
std::string engine_request_text(const EngineRequest& request);

// Beast's (1.74) response parser, handing the body to a sink as it is decoded (chunked
// framing removed). A sink that returns false stops the parse (error::body_limit, which
// means "enough" here: Beast's own body limit is off).
class EngineResponseParser final : public boost::beast::http::basic_parser<false> {
    using error_code = boost::beast::error_code;
    using string_view = boost::beast::string_view;
    using http_verb = boost::beast::http::verb;
    using http_field = boost::beast::http::field;

  public:
    // Not eager: each put() takes one step (the head, a chunk header, a piece of body), so
    // the head is parsed before a sink is there to take the body that came with it.
    EngineResponseParser() {
        // Pull progress and events are unbounded streams; EngineClient caps what it keeps.
        // Not boost::none: Beast 1.74 compares the Content-Length against the empty optional
        // and then fails every sized body with "body limit exceeded".
        body_limit(std::numeric_limits<std::uint64_t>::max());
    }
    int status = 0;
    const std::function<bool(std::string_view)>* sink = nullptr;  // null: body dropped
    bool stopped = false;                                         // the sink said "enough"

  private:
    std::size_t give(string_view body, error_code& ec) {
        if (sink != nullptr && !body.empty() && !(*sink)({body.data(), body.size()})) {
            stopped = true;
            ec = boost::beast::http::error::body_limit;
        }
        return body.size();
    }
    void on_request_impl(http_verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view, int, error_code&) override { status = code; }
    void on_field_impl(http_field, string_view, string_view, error_code&) override {}
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(string_view body, error_code& ec) override { return give(body, ec); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
        return give(body, ec);
    }
    void on_finish_impl(error_code&) override {}
};

}  // namespace stagehand::os
