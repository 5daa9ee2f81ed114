#include <gtest/gtest.h>

#include <string>

#include "os/net/http.hpp"

namespace stagehand::os {
namespace {

struct ParseCase {
    const char* name;
    std::string raw;
    bool eof;
    HttpParseState want;
    int status;         // complete
    std::string body;   // complete
    bool truncated;     // complete
    std::string error;  // error: substring
};

const HttpParseState inc = HttpParseState::incomplete;
const HttpParseState done = HttpParseState::complete;
const HttpParseState err = HttpParseState::error;

TEST(NetHttpParse, Table) {
    const std::string ok = "HTTP/1.1 200 OK\r\n";
    const ParseCase cases[] = {
        {"content-length", ok + "Content-Length: 5\r\n\r\nhello", false, done, 200, "hello", false,
         ""},
        {"content-length short", ok + "Content-Length: 5\r\n\r\nhel", false, inc, 0, "", false, ""},
        {"content-length short at eof", ok + "Content-Length: 5\r\n\r\nhel", true, err, 0, "",
         false, "before the end of the body"},
        {"content-length extra ignored", ok + "Content-Length: 2\r\n\r\nhello", false, done, 200,
         "he", false, ""},
        {"content-length too big truncates", ok + "Content-Length: 100\r\n\r\n0123456789ab", false,
         done, 200, "0123456789", true, ""},
        {"bad content-length", ok + "Content-Length: x\r\n\r\n", false, err, 0, "", false,
         "Content-Length"},
        {"read to close", ok + "\r\nbody", false, inc, 0, "", false, ""},
        {"read to close at eof", ok + "\r\nbody", true, done, 200, "body", false, ""},
        {"read to close over limit", ok + "\r\n0123456789X", false, done, 200, "0123456789", true,
         ""},
        {"chunked",
         ok + "Transfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\n", false,
         done, 200, "Wikipedia", false, ""},
        {"chunked case and list",
         ok + "transfer-encoding: gzip, Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false, done, 200,
         "abc", false, ""},
        // Beast (RFC 9112 7.1) waits for the CRLF that ends the trailers; the old parser
        // stopped at "0\r\n". Every server sends both in one write.
        {"chunked without the last CRLF",
         ok + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n", false, inc, 0, "", false, ""},
        {"chunked without the last CRLF at eof",
         ok + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n", true, err, 0, "", false,
         "before the end"},
        {"chunked partial", ok + "Transfer-Encoding: chunked\r\n\r\n4\r\nWi", false, inc, 0, "",
         false, ""},
        {"chunked partial at eof", ok + "Transfer-Encoding: chunked\r\n\r\n4\r\nWi", true, err, 0,
         "", false, "before the end"},
        {"chunked bad size", ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", false, err, 0, "",
         false, "chunk size"},
        {"chunked missing crlf", ok + "Transfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
         false, err, 0, "", false, "CRLF"},
        {"chunked over limit",
         ok + "Transfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef", false, done, 200,
         "0123456789", true, ""},
        {"chunked huge size", ok + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
         false, err, 0, "", false, "chunk size"},
        {"bare LF head", "HTTP/1.0 503 Service Unavailable\nContent-Length: 0\n\n", false, done,
         503, "", false, ""},
        {"no reason phrase", "HTTP/1.1 204\r\n\r\n", false, done, 204, "", false, ""},
        {"100 continue first", "HTTP/1.1 100 Continue\r\n\r\n" + ok + "Content-Length: 2\r\n\r\nok",
         false, done, 200, "ok", false, ""},
        {"head incomplete", "HTTP/1.1 200 OK\r\nContent-", false, inc, 0, "", false, ""},
        {"closed without response", "", true, err, 0, "", false, "without a response"},
        {"closed mid head", "HTTP/1.1 200", true, err, 0, "", false, "before a complete response"},
        {"not http", "SSH-2.0-OpenSSH_9.2\r\n\r\n", false, err, 0, "", false,
         "not an HTTP response"},
        {"binary garbage", std::string("\x16\x03\x01\x00\r\n\r\n", 8), false, err, 0, "", false,
         "not an HTTP response"},
        {"bad status digits", "HTTP/1.1 2x0 OK\r\n\r\n", false, err, 0, "", false, "not an HTTP"},
        {"huge head", "HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a'), false, err, 0, "", false,
         "larger than 16 KiB"},
    };
    for (const auto& c : cases) {
        const HttpParse parse = parse_http_response(c.raw, c.eof, 10);
        ASSERT_EQ(parse.state, c.want) << c.name << ": " << parse.error;
        if (c.want == done) {
            EXPECT_EQ(parse.response.status, c.status) << c.name;
            EXPECT_EQ(parse.response.body, c.body) << c.name;
            EXPECT_EQ(parse.response.body_truncated, c.truncated) << c.name;
        }
        if (c.want == err) {
            EXPECT_NE(parse.error.find(c.error), std::string::npos)
                << c.name << ": " << parse.error;
        }
    }
}

TEST(NetHttpParse, HeadersAreLowerCasedAndTrimmed) {
    const auto parse = parse_http_response(
        "HTTP/1.1 301 Moved Permanently\r\nLocation:  /x \r\nX-Y:z\r\nbogus line\r\n\r\n", true);
    ASSERT_EQ(parse.state, HttpParseState::complete);
    EXPECT_EQ(parse.response.reason, "Moved Permanently");
    ASSERT_EQ(parse.response.headers.size(), 2u);
    EXPECT_EQ(parse.response.headers[0], (std::pair<std::string, std::string>{"location", "/x"}));
    EXPECT_EQ(parse.response.headers[1], (std::pair<std::string, std::string>{"x-y", "z"}));
}

TEST(NetHttpParse, HostHeader) {
    EXPECT_EQ(http_host_header("gateway-service", 8000), "gateway-service:8000");
    EXPECT_EQ(http_host_header("::1", 8080), "[::1]:8080");
    EXPECT_EQ(http_host_header("10.0.0.1", 80), "10.0.0.1:80");
}

}  // namespace
}  // namespace stagehand::os
