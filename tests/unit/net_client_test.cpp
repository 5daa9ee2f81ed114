// TCP connect and HTTP GET against loopback servers run by the test (real sockets, real time).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net_test_server.hpp"
#include "os/net/http.hpp"
#include "os/net/tcp.hpp"

namespace stagehand::os {
namespace {

using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::TestServer;

MonoTime in(milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

const IpAddress k_v4 = *parse_ip_literal("127.0.0.1");
const IpAddress k_v6 = *parse_ip_literal("::1");

// Answers every request with `response` and closes.
TestServer::Handler answer(std::string response) {
    return [response](TestServer& server, int fd, const Cancel& stop) {
        server.read_request(fd, stop);
        TestServer::write_all(fd, response);
    };
}

HttpGet get(const std::string& path = "/health") {
    return HttpGet{"web:1234", path};
}

TEST(NetTcp, ConnectsToListeningPortOnBothFamilies) {
    Cancel cancel;
    for (const auto& [family, address] : {std::pair{AF_INET, k_v4}, std::pair{AF_INET6, k_v6}}) {
        TestServer server(family, [](TestServer&, int, const Cancel&) {});
        auto sock = tcp_connect(address, server.port(), in(milliseconds(2000)), cancel);
        ASSERT_TRUE(sock.ok()) << sock.error().message;
        EXPECT_TRUE(sock->valid());
        EXPECT_TRUE(testing::eventually([&] { return server.accepted() == 1; }));
    }
}

TEST(NetTcp, RefusedPortFailsAtOnce) {
    ClosedPort closed;
    Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    auto sock = tcp_connect(k_v4, closed.port(), in(milliseconds(5000)), cancel);
    ASSERT_FALSE(sock.ok());
    EXPECT_NE(sock.error().message.find("Connection refused"), std::string::npos)
        << sock.error().message;
    EXPECT_NE(sock.error().message.find("127.0.0.1:" + std::to_string(closed.port())),
              std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

// 10.255.255.1 is unroutable: the SYN goes nowhere (or the network is unreachable at once,
// depending on the host's routes; some sandboxes even proxy every outgoing connection).
// Whatever happens, the attempt ends within its timeout + slack.
TEST(NetTcp, UnroutableAddressEndsWithinTimeout) {
    Cancel cancel;
    const auto timeout = milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    auto sock = tcp_connect(*parse_ip_literal("10.255.255.1"), 80, in(timeout), cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, timeout + milliseconds(500));
    if (!sock.ok()) {
        EXPECT_NE(sock.error().message.find("connect to 10.255.255.1:80: "), std::string::npos)
            << sock.error().message;
    }
}

// A listener whose accept queue is full drops further SYNs (Linux), so the next connect
// hangs like one to a black-holed address: the deadline must end it.
TEST(NetTcp, BlackholedConnectTimesOut) {
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof sin;
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sin), length), 0);
    ASSERT_EQ(::listen(listener.get(), 0), 0);
    ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&sin), &length), 0);
    const int port = ntohs(sin.sin_port);
    Cancel cancel;
    std::vector<UniqueFd> fillers;
    const auto timeout = milliseconds(300);
    for (int i = 0; i < 8; ++i) {  // fill the queue until a connect hangs
        const auto start = std::chrono::steady_clock::now();
        auto sock = tcp_connect(k_v4, port, in(timeout), cancel);
        const auto took = std::chrono::steady_clock::now() - start;
        if (!sock.ok()) {
            EXPECT_EQ(sock.error().message,
                      "connect to 127.0.0.1:" + std::to_string(port) + ": timed out");
            EXPECT_GE(took, timeout);
            EXPECT_LT(took, timeout + milliseconds(500));
            return;
        }
        fillers.push_back(std::move(*sock));
    }
    FAIL() << "no connect ever hung";
}

TEST(NetTcp, CancelledBeforeStart) {
    Cancel cancel;
    cancel.fire(CancelReason::sigterm);
    auto sock = tcp_connect(*parse_ip_literal("10.255.255.1"), 80, in(milliseconds(5000)), cancel);
    ASSERT_FALSE(sock.ok());
}

TEST(NetHttp, AnswersRight) {
    TestServer server(AF_INET, answer("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n"
                                      "{\"status\":\"UP\"}"));
    Cancel cancel;
    auto response = http_get(k_v4, server.port(), get(), in(milliseconds(2000)), cancel);
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "{\"status\":\"UP\"}");
    const std::string request = server.last_request();
    EXPECT_EQ(request.rfind("GET /health HTTP/1.1\r\n", 0), 0u) << request;
    EXPECT_NE(request.find("\r\nHost: web:1234\r\n"), std::string::npos) << request;
    EXPECT_NE(request.find("\r\nConnection: close\r\n"), std::string::npos) << request;
}

TEST(NetHttp, ReadsRequestThenAnswers500) {
    TestServer server(AF_INET, [](TestServer& self, int fd, const Cancel& stop) {
        self.read_request(fd, stop);
        TestServer::write_all(
            fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
    });
    Cancel cancel;
    auto response = http_get(k_v4, server.port(), get(), in(milliseconds(2000)), cancel);
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, 500);
    EXPECT_EQ(response->body, "oops");
}

TEST(NetHttp, ChunkedBodyOverIpv6) {
    TestServer server(AF_INET6, [](TestServer& self, int fd, const Cancel& stop) {
        self.read_request(fd, stop);
        TestServer::write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        TestServer::write_all(fd, "a\r\n{\"status\":\r\n");
        TestServer::write_all(fd, "4\r\n\"UP\"\r\n1\r\n}\r\n0\r\n\r\n");
    });
    Cancel cancel;
    HttpGet request{http_host_header("::1", server.port()), "/"};
    auto response = http_get(k_v6, server.port(), request, in(milliseconds(2000)), cancel);
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->body, "{\"status\":\"UP\"}");
    EXPECT_NE(server.last_request().find("Host: [::1]:"), std::string::npos);
}

TEST(NetHttp, NeverAnsweringServerTimesOut) {
    TestServer server(
        AF_INET, [](TestServer&, int, const Cancel& stop) { TestServer::wait_for_stop(stop); });
    Cancel cancel;
    const auto timeout = milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    auto response = http_get(k_v4, server.port(), get(), in(timeout), cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().message, "timed out waiting for the response");
    EXPECT_GE(took, timeout);
    EXPECT_LT(took, timeout + milliseconds(500));
}

TEST(NetHttp, SlowBodyTimesOut) {
    TestServer server(AF_INET, [](TestServer& self, int fd, const Cancel& stop) {
        self.read_request(fd, stop);
        TestServer::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst part");
        TestServer::wait_for_stop(stop);  // the rest never comes within the timeout
    });
    Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    auto response = http_get(k_v4, server.port(), get(), in(milliseconds(300)), cancel);
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().message, "timed out reading the response");
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(800));
}

TEST(NetHttp, EndlessBodyStopsAtLimit) {
    TestServer server(AF_INET, [](TestServer& self, int fd, const Cancel& stop) {
        self.read_request(fd, stop);
        TestServer::write_all(fd, "HTTP/1.1 200 OK\r\n\r\n");
        const std::string block(8192, 'x');
        while (!stop.fired()) {
            if (::send(fd, block.data(), block.size(), MSG_NOSIGNAL) <= 0) {
                return;  // the client hung up once it had enough
            }
        }
    });
    Cancel cancel;
    HttpGet request = get();
    request.max_body = 20000;
    auto response = http_get(k_v4, server.port(), request, in(milliseconds(5000)), cancel);
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->body.size(), 20000u);
    EXPECT_TRUE(response->body_truncated);
}

TEST(NetHttp, RefusedAndClosedWithoutAnswer) {
    Cancel cancel;
    ClosedPort closed;
    auto refused = http_get(k_v4, closed.port(), get(), in(milliseconds(2000)), cancel);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("Connection refused"), std::string::npos);

    // Reads the request and closes without a word.
    TestServer server(
        AF_INET, [](TestServer& self, int fd, const Cancel& stop) { self.read_request(fd, stop); });
    auto closed_early = http_get(k_v4, server.port(), get(), in(milliseconds(2000)), cancel);
    ASSERT_FALSE(closed_early.ok());
    EXPECT_NE(closed_early.error().message.find("closed"), std::string::npos)
        << closed_early.error().message;
}

TEST(NetHttp, RefusesInjectedPath) {
    Cancel cancel;
    auto response = http_get(k_v4, 1, get("/x\r\nEvil: 1"), in(milliseconds(2000)), cancel);
    ASSERT_FALSE(response.ok());
    EXPECT_NE(response.error().message.find("invalid"), std::string::npos);
}

TEST(NetHttp, CancelWakesAWaitingRequest) {
    // The server reads the request first: once it has, the client is past connect and send
    // (waiting on accept() alone raced the client's connect wait on a loaded host).
    TestServer server(AF_INET, [](TestServer& self, int fd, const Cancel& stop) {
        self.read_request(fd, stop);
        TestServer::wait_for_stop(stop);
    });
    Cancel cancel;
    util::Result<HttpResponse> result{util::Error{"not run"}};
    const auto start = std::chrono::steady_clock::now();
    std::thread client(
        [&] { result = http_get(k_v4, server.port(), get(), in(milliseconds(30000)), cancel); });
    ASSERT_TRUE(testing::eventually([&] { return !server.last_request().empty(); }));
    cancel.fire(CancelReason::sigint);
    client.join();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message, "cancelled waiting for the response");
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
}

}  // namespace
}  // namespace stagehand::os
