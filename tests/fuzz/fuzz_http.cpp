// The probes' HTTP response parser (Beast's basic_parser behind os::parse_http_response): any
// bytes give incomplete, a response or an error with a message, never a crash; the body kept
// never exceeds the cap; a complete response at some prefix stays complete at EOF.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "os/net/http.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand::os;
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    // The first byte picks the cap, so small caps (truncation paths) get exercised too.
    const std::size_t max_body = size == 0 ? 0 : data[0] % 32;
    for (const bool eof : {false, true}) {
        const HttpParse parse = parse_http_response(raw, eof, max_body);
        if (parse.state == HttpParseState::error && parse.error.empty()) {
            std::abort();
        }
        if (parse.state == HttpParseState::complete &&
            (parse.response.body.size() > max_body || parse.response.status > 999)) {
            std::abort();
        }
        if (eof && parse.state == HttpParseState::incomplete) {
            std::abort();  // at EOF every response is settled
        }
    }
    return 0;
}
