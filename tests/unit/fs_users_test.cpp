#include "os/fs/users.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

std::string fixture(const std::string& name) {
    return testing::fixture("stage/" + name);
}

TEST(FsUsers, ParsesPasswdSkippingHostileLines) {
    const auto users = parse_passwd(fixture("passwd"));
    std::vector<std::string> names;
    for (const auto& u : users) {
        names.push_back(u.name);
    }
    const std::vector<std::string> expected = {"root", "bin",     "ec2-user", "deploy",
                                               "crlf", "nogecos", "crlf2"};
    EXPECT_EQ(names, expected);
    EXPECT_EQ(users[2].uid, 1000U);
    EXPECT_EQ(users[2].gid, 1000U);
    EXPECT_EQ(users[5].gid, 100U);   // only four fields: still valid
    EXPECT_EQ(users[6].uid, 1004U);  // CRLF line ending
}

TEST(FsUsers, ParsesGroup) {
    const auto groups = parse_group(fixture("group"));
    ASSERT_EQ(groups.size(), 6U);
    EXPECT_EQ(groups[3].name, "docker");
    EXPECT_EQ(groups[3].gid, 992U);
}

TEST(FsUsers, HostileInputNeverCrashes) {
    const std::string inputs[] = {"",
                                  ":",
                                  "::::",
                                  "\n\n\n",
                                  "a:x:1",
                                  "a:x:-1:0",
                                  "a:x:4294967295:0",
                                  "a:x:1:2:3:4:5:6:7:8",
                                  std::string(5, '\0')};
    for (const auto& text : inputs) {
        for (const auto& u : parse_passwd(text)) {
            EXPECT_FALSE(u.name.empty());
            EXPECT_NE(u.uid, static_cast<uid_t>(-1));
        }
        (void)parse_group(text);
    }
    EXPECT_EQ(parse_passwd("a:x:1:2:3:4:5:6:7:8").size(), 1U);  // extra ':' in the shell field
}

struct Lookup {
    const char* query;
    bool found;
    uid_t uid;
    gid_t gid;
};

TEST(FsUsers, FindsUsersByNameOrNumber) {
    const UserDb db(parse_passwd(fixture("passwd")), parse_group(fixture("group")));
    const Lookup table[] = {
        {"ec2-user", true, 1000, 1000},
        {"deploy", true, 1001, 1001},
        {"1000", true, 1000, 1000},                    // number of a known user
        {"4242", true, 4242, static_cast<gid_t>(-1)},  // LDAP account: primary group unknown
        {"nobody-here", false, 0, 0},
        {"badid", false, 0, 0},  // its line was malformed
        {"", false, 0, 0},
        {"-1", false, 0, 0},
    };
    for (const auto& row : table) {
        const auto user = db.find_user(row.query);
        ASSERT_EQ(user.has_value(), row.found) << row.query;
        if (row.found) {
            EXPECT_EQ(user->uid, row.uid) << row.query;
            EXPECT_EQ(user->gid, row.gid) << row.query;
        }
    }
    EXPECT_EQ(db.find_group("docker")->gid, 992U);
    EXPECT_EQ(db.find_group("1234")->gid, 1234U);
    EXPECT_FALSE(db.find_group("bad").has_value());
    EXPECT_EQ(db.user_name(1001), "deploy");
    EXPECT_EQ(db.user_name(777), "777");
    EXPECT_EQ(db.group_name(992), "docker");
}

TEST(FsUsers, LoadsFromAnEtcFolder) {
    PosixFileSystem fs;
    auto db = UserDb::load(fs, std::string(STAGEHAND_FIXTURES) + "/stage");
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(db->find_user("ec2-user")->uid, 1000U);
    auto missing = UserDb::load(fs, "/nonexistent-etc");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("/nonexistent-etc/passwd"), std::string::npos);
}

}  // namespace
}  // namespace stagehand::os
