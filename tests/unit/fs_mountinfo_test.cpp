#include "os/fs/mountinfo.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

std::string fixture(const std::string& name) {
    return testing::fixture("stage/" + name);
}

TEST(FsMountinfo, ParsesCapturedHosts) {
    struct Row {
        const char* file;
        std::size_t count;
    };
    for (const Row row :
         {Row{"mountinfo-debian12-container.txt", 21}, Row{"mountinfo-amzn2023.txt", 15},
          Row{"mountinfo-amzn2-nooptional.txt", 5}}) {
        auto mounts = parse_mountinfo(fixture(row.file));
        ASSERT_TRUE(mounts) << row.file << ": " << mounts.error().message;
        EXPECT_EQ(mounts->size(), row.count) << row.file;
        EXPECT_TRUE(is_mount_point(*mounts, "/")) << row.file;
        EXPECT_TRUE(is_mount_point(*mounts, "/proc")) << row.file;
    }
}

TEST(FsMountinfo, ReadsFieldsAndOctalEscapes) {
    auto mounts = parse_mountinfo(fixture("mountinfo-amzn2023.txt"));
    ASSERT_TRUE(mounts);
    const auto& bind = (*mounts)[11];
    EXPECT_EQ(bind.id, 33);
    EXPECT_EQ(bind.parent_id, 22);
    EXPECT_EQ(bind.major, 259U);
    EXPECT_EQ(bind.minor, 1U);
    EXPECT_EQ(bind.root, "/opt/data");
    EXPECT_EQ(bind.mount_point, "/opt/app/current/data");
    EXPECT_EQ(bind.fs_type, "xfs");
    EXPECT_EQ(bind.source, "/dev/nvme0n1p1");
    // The super options: where a v1 cgroup mount lists its controllers.
    EXPECT_EQ(bind.super_options, "rw,attr2,inode64");
    EXPECT_TRUE(is_mount_point(*mounts, "/mnt/my disk"));                             // \040
    EXPECT_TRUE(is_mount_point(*mounts, "/var/lib/docker/overlay2/3f1c\\x/merged"));  // \134
    auto older = parse_mountinfo(fixture("mountinfo-amzn2-nooptional.txt"));
    ASSERT_TRUE(older);
    EXPECT_TRUE(is_mount_point(*older, "/srv/app\ttab"));  // \011 and two optional fields
}

TEST(FsMountinfo, FindsMountsInsideAFolder) {
    auto mounts = parse_mountinfo(fixture("mountinfo-amzn2023.txt"));
    ASSERT_TRUE(mounts);
    EXPECT_EQ(mounts_inside(*mounts, "/opt/app"),
              std::vector<std::string>{"/opt/app/current/data"});
    EXPECT_TRUE(mounts_inside(*mounts, "/opt/app/current/data").empty());
    EXPECT_TRUE(mounts_inside(*mounts, "/opt/ap").empty());  // a prefix is not a parent
    EXPECT_FALSE(is_mount_point(*mounts, "/opt/app"));
}

TEST(FsMountinfo, MalformedLinesAreErrorsNamingTheLine) {
    const char* bad[] = {
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw",  // no separator
        "x 35 98:0 / / rw - ext4 /dev/root rw",
        "36 35 98-0 / / rw - ext4 /dev/root rw",
        "36 35 98:0 / /a\\04 rw - ext4 /dev/root rw",   // cut escape
        "36 35 98:0 / /a\\999 rw - ext4 /dev/root rw",  // not octal
        "36 35 98:0 / relative rw - ext4 /dev/root rw",
        "36 35 98:0 / / rw -",
        "1 2",
    };
    for (const char* line : bad) {
        const std::string text = std::string("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n") + line + "\n";
        auto mounts = parse_mountinfo(text);
        ASSERT_FALSE(mounts) << line;
        EXPECT_NE(mounts.error().message.find("line 2"), std::string::npos) << line;
    }
    auto empty = parse_mountinfo("");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(FsMountinfo, LoadsThisHostsTable) {
    PosixFileSystem fs;
    auto mounts = load_mountinfo(fs);
    ASSERT_TRUE(mounts) << mounts.error().message;
    EXPECT_TRUE(is_mount_point(*mounts, "/"));
}

}  // namespace
}  // namespace stagehand::os
