#include <gtest/gtest.h>

#include <string>

#include "os/net/address.hpp"
#include "os/net/hosts.hpp"
#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

std::string fixture(const std::string& name) {
    return testing::fixture("net/" + name);
}

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
    std::vector<std::string> out;
    for (const auto& a : addresses) {
        out.push_back(a.to_string());
    }
    return out;
}

struct LiteralCase {
    const char* in;
    bool ok;
    int family;
    const char* text;
};

TEST(NetAddress, ParsesLiteralsOnly) {
    const LiteralCase cases[] = {
        {"127.0.0.1", true, AF_INET, "127.0.0.1"},
        {"10.255.255.1", true, AF_INET, "10.255.255.1"},
        {"::1", true, AF_INET6, "::1"},
        {"[::1]", true, AF_INET6, "::1"},
        {"2001:DB8:0:0::5", true, AF_INET6, "2001:db8::5"},
        {"::ffff:10.0.0.1", true, AF_INET6, "::ffff:10.0.0.1"},
        {"10.1", false, 0, ""},
        {"256.0.0.1", false, 0, ""},
        {"1.2.3.4 ", false, 0, ""},
        {"kafka", false, 0, ""},
        {"fe80::1%eth0", false, 0, ""},
        {"[10.0.0.1]", true, AF_INET, "10.0.0.1"},
        {"[::1", false, 0, ""},
        {"", false, 0, ""},
        {"[]", false, 0, ""},
    };
    for (const auto& c : cases) {
        const auto parsed = parse_ip_literal(c.in);
        ASSERT_EQ(parsed.has_value(), c.ok) << c.in;
        if (c.ok) {
            EXPECT_EQ(parsed->family, c.family) << c.in;
            EXPECT_EQ(parsed->to_string(), c.text) << c.in;
        }
    }
}

TEST(NetAddress, FormatsEndpoints) {
    EXPECT_EQ(format_endpoint(*parse_ip_literal("10.0.0.5"), 9092), "10.0.0.5:9092");
    EXPECT_EQ(format_endpoint(*parse_ip_literal("::1"), 8080), "[::1]:8080");
}

struct LookupCase {
    const char* file;
    const char* name;
    std::vector<std::string> want;
};

TEST(NetHosts, LooksUpNamesInRealFiles) {
    const LookupCase cases[] = {
        {"hosts_debian", "localhost", {"127.0.0.1", "::1"}},
        {"hosts_debian", "deb12", {"127.0.1.1"}},
        {"hosts_debian", "DEB12.example.INTERNAL", {"127.0.1.1"}},
        {"hosts_debian", "ip6-allnodes", {"ff02::1"}},
        {"hosts_debian", "desirable", {}},
        {"hosts_amzn2", "registry", {"10.0.3.17"}},
        {"hosts_amzn2", "localhost4", {"127.0.0.1"}},
        {"hosts_amzn2", "localhost", {"127.0.0.1"}},
        {"hosts_amzn2", "cloud-init", {}},
        {"hosts_docker", "3f2a9c1b7d10", {"172.18.0.4"}},
        {"hosts_hostile", "good-one", {"10.0.0.1", "10.0.0.8"}},
        {"hosts_hostile", "good-two", {"10.0.0.3"}},
        {"hosts_hostile", "good-alias", {"10.0.0.4"}},
        {"hosts_hostile", "good-six", {"2001:db8::5"}},
        {"hosts_hostile", "bad-octet", {}},
        {"hosts_hostile", "shorthand", {}},
        {"hosts_hostile", "bracketed", {}},
        {"hosts_hostile", "zoned", {}},
        {"hosts_hostile", "good-glued", {}},
        {"hosts_hostile", "glued-comment", {}},
        {"hosts_hostile", "binary", {}},
        {"hosts_hostile", "nul", {}},
        {"hosts_hostile", "", {}},
    };
    for (const auto& c : cases) {
        const auto entries = parse_hosts(fixture(c.file));
        EXPECT_EQ(texts(lookup_hosts(entries, c.name)), c.want) << c.file << " " << c.name;
    }
}

TEST(NetHosts, HostileFileKeepsOnlyValidLines) {
    const auto entries = parse_hosts(fixture("hosts_hostile"));
    ASSERT_EQ(entries.size(), 8u);
    EXPECT_TRUE(entries[3].names.at(0) == std::string("nul\0name", 8));
    EXPECT_TRUE(entries[4].names.at(0).size() == 70000u);  // no EXPECT_EQ: keep logs short
    EXPECT_EQ(entries[2].names, (std::vector<std::string>{"good-three", "GOOD-ALIAS"}));
}

TEST(NetHosts, EmptyAndDegenerateInput) {
    EXPECT_TRUE(parse_hosts("").empty());
    EXPECT_TRUE(parse_hosts("\n\n\r\n#\n   \t\n").empty());
    EXPECT_TRUE(parse_hosts(std::string(100000, '#')).empty());
    EXPECT_EQ(parse_hosts("1.2.3.4 a").size(), 1u);  // no trailing newline
}

}  // namespace
}  // namespace stagehand::os
