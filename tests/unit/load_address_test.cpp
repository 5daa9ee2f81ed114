#include "core/load/address.hpp"

#include <gtest/gtest.h>

namespace stagehand::core {
namespace {

TEST(LoadAddress, HostPortAccepts) {
    struct Row {
        const char* text;
        const char* host;
        int port;
    };
    const Row rows[] = {
        {"kafka:9092", "kafka", 9092},
        {"127.0.0.1:80", "127.0.0.1", 80},
        {"[::1]:8080", "::1", 8080},
        {"[fe80::1]:1", "fe80::1", 1},
        {"my_svc.internal:65535", "my_svc.internal", 65535},
        {"localhost:5672", "localhost", 5672},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_host_port(row.text, 0);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed->host, row.host);
        EXPECT_EQ(parsed->port, row.port);
    }
}

TEST(LoadAddress, HostPortRejects) {
    struct Row {
        const char* text;
        const char* message_part;
    };
    const Row rows[] = {
        {"kafka", "missing port"},
        {"kafka:0", "invalid port"},
        {"kafka:65536", "invalid port"},
        {"kafka:http", "invalid port"},
        {"::1:80", "IPv6 address in brackets"},
        {"[::1", "missing ']'"},
        {"[nothex]:80", "invalid IPv6"},
        {"999.1.1.1:80", "invalid IPv4"},
        {":80", "missing host"},
        {"ka fka:80", "invalid host"},
        {"a..b:80", "invalid host name"},
        {"[::1]x", "unexpected text"},
        {"", "missing host"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_host_port(row.text, 0);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
        EXPECT_NE(parsed.error().message.find("expected HOST:PORT"), std::string::npos);
    }
}

TEST(LoadAddress, HttpUrlAccepts) {
    struct Row {
        const char* url;
        const char* host;
        int port;
        const char* path;
    };
    const Row rows[] = {
        {"http://gateway-service:8000/actuator/health", "gateway-service", 8000,
         "/actuator/health"},
        {"http://gateway", "gateway", 80, "/"},
        {"http://10.0.0.5:8080?ready=1", "10.0.0.5", 8080, "/?ready=1"},
        {"http://[::1]:9000/x#frag", "::1", 9000, "/x"},
        {"HTTP://Gateway/", "Gateway", 80, "/"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.url);
        auto parsed = parse_http_url(row.url);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed->url, row.url);
        EXPECT_EQ(parsed->host_port.host, row.host);
        EXPECT_EQ(parsed->host_port.port, row.port);
        EXPECT_EQ(parsed->path_and_query, row.path);
    }
}

TEST(LoadAddress, HttpUrlRejects) {
    struct Row {
        const char* url;
        const char* message_part;
    };
    const Row rows[] = {
        {"https://gateway/health", "https is not supported"},
        {"ftp://gateway/", "expected an http:// URL"},
        {"gateway:8000/health", "expected an http:// URL"},
        {"http:/gateway", "expected an http:// URL"},
        {"http://user:pw@gateway/", "user info"},
        {"http://gateway:0/", "invalid port"},
        {"http:///health", "missing host"},
        {"http://gateway/a b", "percent-encoded"},
        {"http://::1/", "brackets"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.url);
        auto parsed = parse_http_url(row.url);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
    }
}

}  // namespace
}  // namespace stagehand::core
