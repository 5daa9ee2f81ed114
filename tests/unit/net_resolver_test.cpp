// Name resolution: literals, localhost, hosts files (fixtures) and DNS through c-ares against a
// tiny DNS server run by the test on a loopback UDP port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "os/net/resolver.hpp"
#include "os/sys/unique_fd.hpp"

namespace stagehand::os {
namespace {

using std::chrono::milliseconds;

MonoTime in(milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
    std::vector<std::string> out;
    for (const auto& a : addresses) {
        out.push_back(a.to_string());
    }
    return out;
}

const std::string k_no_hosts = "/nonexistent/stagehand/hosts";
const std::string k_fixtures = std::string(STAGEHAND_FIXTURES) + "/net/";

// Answers A and AAAA queries for the names in `records` (NXDOMAIN for others), or stays
// silent when `silent`.
class FakeDns {
  public:
    struct Record {
        std::string a;     // IPv4 text or empty
        std::string aaaa;  // IPv6 text or empty
    };

    FakeDns(std::map<std::string, Record> records, bool silent)
        : m_records(std::move(records)),
          m_silent(silent),
          m_sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof sin;
        if (::bind(m_sock.get(), reinterpret_cast<sockaddr*>(&sin), length) != 0 ||
            ::getsockname(m_sock.get(), reinterpret_cast<sockaddr*>(&sin), &length) != 0) {
            throw std::runtime_error("fake dns: cannot bind");
        }
        m_port = ntohs(sin.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakeDns() {
        m_stop.fire(CancelReason::sigterm);
        m_thread.join();
    }
    std::string server() const { return "127.0.0.1:" + std::to_string(m_port); }
    int queries() const { return m_queries.load(); }

  private:
    void serve() {
        for (;;) {
            pollfd fds[2] = {{m_sock.get(), POLLIN, 0}, {m_stop.fd(), POLLIN, 0}};
            if (::poll(fds, 2, -1) <= 0) {
                continue;
            }
            if (fds[1].revents != 0) {
                return;
            }
            unsigned char query[512];
            sockaddr_storage from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(m_sock.get(), query, sizeof query, 0,
                                         reinterpret_cast<sockaddr*>(&from), &from_len);
            m_queries.fetch_add(1);
            if (n < 12 || m_silent) {
                continue;
            }
            const std::string reply =
                answer(std::string(reinterpret_cast<char*>(query), static_cast<std::size_t>(n)));
            ::sendto(m_sock.get(), reply.data(), reply.size(), 0,
                     reinterpret_cast<sockaddr*>(&from), from_len);
        }
    }

    std::string answer(const std::string& query) const {
        std::size_t pos = 12;
        std::string name;
        while (pos < query.size() && query[pos] != 0) {
            const auto len = static_cast<unsigned char>(query[pos]);
            name += (name.empty() ? "" : ".") + query.substr(pos + 1, len);
            pos += 1 + len;
        }
        const std::size_t question_end = pos + 5;  // zero label, type, class
        const int qtype = (static_cast<unsigned char>(query[pos + 1]) << 8) |
                          static_cast<unsigned char>(query[pos + 2]);
        const auto it = m_records.find(name);
        std::string rdata;
        if (it != m_records.end()) {
            unsigned char bytes[16];
            if (qtype == 1 && !it->second.a.empty()) {
                ::inet_pton(AF_INET, it->second.a.c_str(), bytes);
                rdata.assign(reinterpret_cast<char*>(bytes), 4);
            } else if (qtype == 28 && !it->second.aaaa.empty()) {
                ::inet_pton(AF_INET6, it->second.aaaa.c_str(), bytes);
                rdata.assign(reinterpret_cast<char*>(bytes), 16);
            }
        }
        std::string reply = query.substr(0, 2);                    // id
        reply += it == m_records.end() ? "\x81\x83" : "\x81\x80";  // QR RD RA, rcode
        reply += std::string("\x00\x01\x00", 3) + (rdata.empty() ? '\0' : '\x01');
        reply += std::string(4, '\0');  // ns, ar
        reply += query.substr(12, question_end - 12);
        if (!rdata.empty()) {
            reply += std::string("\xc0\x0c\x00", 3) + static_cast<char>(qtype);
            reply +=
                std::string("\x00\x01\x00\x00\x00\x3c\x00", 7) + static_cast<char>(rdata.size());
            reply += rdata;
        }
        return reply;
    }

    std::map<std::string, Record> m_records;
    bool m_silent;
    UniqueFd m_sock;
    int m_port = 0;
    Cancel m_stop;
    std::atomic<int> m_queries{0};
    std::thread m_thread;
};

TEST(NetResolver, LiteralsNeedNoLookup) {
    HostResolver resolver({k_no_hosts, "127.0.0.1:1"});
    Cancel cancel;
    for (const auto& [host, want] : std::vector<std::pair<std::string, std::string>>{
             {"10.0.0.5", "10.0.0.5"}, {"::1", "::1"}, {"[2001:db8::1]", "2001:db8::1"}}) {
        auto found = resolver.resolve(host, in(milliseconds(1000)), cancel);
        ASSERT_TRUE(found.ok()) << host;
        EXPECT_EQ(texts(*found), std::vector<std::string>{want});
    }
}

TEST(NetResolver, LocalhostWithoutHostsFile) {
    HostResolver resolver({k_no_hosts, "127.0.0.1:1"});
    Cancel cancel;
    auto found = resolver.resolve("LocalHost", in(milliseconds(1000)), cancel);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(texts(*found), (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST(NetResolver, HostsFileBeforeDnsAndIpv4First) {
    FakeDns dns({{"registry", {"192.0.2.99", ""}}}, false);
    HostResolver resolver({k_fixtures + "hosts_amzn2", dns.server()});
    Cancel cancel;
    auto found = resolver.resolve("registry", in(milliseconds(1000)), cancel);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(texts(*found), std::vector<std::string>{"10.0.3.17"});
    EXPECT_EQ(dns.queries(), 0);

    HostResolver debian({k_fixtures + "hosts_debian", dns.server()});
    auto local = debian.resolve("localhost", in(milliseconds(1000)), cancel);
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(texts(*local), (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST(NetResolver, DnsThroughCares) {
    FakeDns dns({{"db.example.test", {"192.0.2.10", "2001:db8::10"}},
                 {"v6only.example.test", {"", "2001:db8::11"}}},
                false);
    HostResolver resolver({k_no_hosts, dns.server()});
    Cancel cancel;
    auto both = resolver.resolve("db.example.test", in(milliseconds(3000)), cancel);
    ASSERT_TRUE(both.ok()) << both.error().message;
    EXPECT_EQ(texts(*both), (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
    auto v6 = resolver.resolve("v6only.example.test", in(milliseconds(3000)), cancel);
    ASSERT_TRUE(v6.ok()) << v6.error().message;
    EXPECT_EQ(texts(*v6), std::vector<std::string>{"2001:db8::11"});
}

TEST(NetResolver, UnknownNameIsAnError) {
    FakeDns dns({}, false);
    HostResolver resolver({k_no_hosts, dns.server()});
    Cancel cancel;
    auto found = resolver.resolve("nothere.example.test", in(milliseconds(3000)), cancel);
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().message.rfind("cannot resolve nothere.example.test: ", 0), 0u)
        << found.error().message;
}

TEST(NetResolver, SilentServerDeadlineHolds) {
    FakeDns dns({}, true);
    HostResolver resolver({k_no_hosts, dns.server()});
    Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    auto found = resolver.resolve("slow.example.test", in(milliseconds(300)), cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().message, "cannot resolve slow.example.test: timed out");
    EXPECT_GE(took, milliseconds(300));
    EXPECT_LT(took, milliseconds(800));
    EXPECT_GE(dns.queries(), 1);
}

TEST(NetResolver, CancelEndsALookup) {
    FakeDns dns({}, true);
    HostResolver resolver({k_no_hosts, dns.server()});
    Cancel cancel;
    util::Result<std::vector<IpAddress>> found{util::Error{"not run"}};
    const auto start = std::chrono::steady_clock::now();
    std::thread lookup(
        [&] { found = resolver.resolve("x.example.test", in(milliseconds(30000)), cancel); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (dns.queries() == 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(1));
    }
    cancel.fire(CancelReason::sigterm);
    lookup.join();
    ASSERT_FALSE(found.ok());
    EXPECT_EQ(found.error().message, "cannot resolve x.example.test: cancelled");
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
}

TEST(NetResolver, RejectsInvalidNames) {
    HostResolver resolver({k_no_hosts, "127.0.0.1:1"});
    Cancel cancel;
    for (const std::string& host :
         std::vector<std::string>{"", "a b", std::string("a\0b", 3), std::string(300, 'a')}) {
        auto found = resolver.resolve(host, in(milliseconds(1000)), cancel);
        EXPECT_FALSE(found.ok());
    }
}

}  // namespace
}  // namespace stagehand::os
