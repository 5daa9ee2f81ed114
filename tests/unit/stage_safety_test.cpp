#include "core/stage/safety.hpp"

#include <gtest/gtest.h>

namespace stagehand::core {
namespace {

const std::vector<ProtectedFolder> k_protect = {{"/var/lib/stagehand", "state_dir"},
                                                {"/var/log/stagehand", "log_dir"}};

struct Row {
    const char* path;
    const char* rule;  // "" when allowed
    const char* message_part = "";
};

void expect_rules(const std::vector<Row>& rows, bool clean) {
    for (const auto& row : rows) {
        const auto v = clean ? check_clean_folder(row.path, k_protect)
                             : check_destination(row.path, k_protect);
        if (std::string(row.rule).empty()) {
            EXPECT_FALSE(v.has_value()) << row.path << " -> " << v->text();
            continue;
        }
        ASSERT_TRUE(v.has_value()) << row.path << " should break rule " << row.rule;
        EXPECT_EQ(v->rule, row.rule) << row.path << ": " << v->text();
        EXPECT_EQ(v->text().rfind(std::string("rule ") + row.rule + ": ", 0), 0U) << v->text();
        EXPECT_NE(v->text().find(row.message_part), std::string::npos) << v->text();
    }
}

TEST(StageSafety, DestinationRules) {
    expect_rules(
        {
            {"opt/app/x.yml", "absolute", "not an absolute path"},
            {"", "absolute"},
            {"/opt/app/../x.yml", "normalised", "\"..\""},
            {"/opt/./app/x.yml", "normalised", "write /opt/app/x.yml"},
            {"/opt//app/x.yml", "normalised", "write /opt/app/x.yml"},
            {"/opt/app/", "normalised", "write /opt/app"},
            {"/opt/app/x\n.yml", "normalised", "control character"},
            {"/", "root", "/ is the root folder"},
            {"/etc", "system-folder", "/etc is a system folder"},
            {"/usr", "system-folder"},
            {"/var", "system-folder"},
            {"/opt", "system-folder"},
            {"/usr/lib", "system-folder", "/usr/lib is under the system folder /usr"},
            {"/usr/bin/docker-compose", "system-folder"},
            {"/usr/local", "system-folder", "/usr/local is a system folder"},
            {"/proc/sys/vm/overcommit_memory", "system-folder", "under the system folder /proc"},
            {"/sys/fs/cgroup/x", "system-folder"},
            {"/dev/sda", "system-folder"},
            {"/boot/grub/grub.cfg", "system-folder"},
            {"/bin/sh", "system-folder"},
            {"/sbin/init", "system-folder"},
            {"/lib/systemd/x", "system-folder"},
            {"/lib64/ld-linux-x86-64.so.2", "system-folder"},
            {"/libexec/x", "system-folder", "/libexec"},
            {"/var/lib", "system-folder"},
            {"/var/lib/docker/volumes/x", "system-folder", "Docker's data folder"},
            {"/var/lib/stagehand/staging-manifest.json", "state-dir",
             "inside state_dir /var/lib/stagehand"},
            {"/var/lib/stagehand", "state-dir"},
            {"/var/log/stagehand/d-1.log", "log-dir"},
            {"/usr/local/bin/tool", ""},
            {"/usr/local/etc/app.conf", ""},
            {"/etc/app/app.conf", ""},
            {"/etc/docker/daemon.json", ""},
            {"/home/ec2-user/docker-compose.yml", ""},
            {"/opt/app/current/.env", ""},
            {"/srv/app.yml", ""},
            {"/var/lib/stagehand-other/x", ""},  // a name prefix is not the folder
            {"/app.yml", ""},
        },
        false);
}

TEST(StageSafety, CleanFolderRules) {
    expect_rules(
        {
            {"/opt", "system-folder"},
            {"/app", "clean-depth", "at least two levels deep"},
            {"/data", "clean-depth"},
            {"/var/lib", "system-folder"},
            {"/var/log", "system-folder"},
            {"/var/lib/stagehand", "state-dir"},
            {"/var/lib/stagehand/backups", "state-dir", "inside state_dir"},
            {"/var/log/stagehand", "log-dir"},
            {"/usr/share/app", "system-folder"},
            {"/etc", "system-folder"},
            {"/opt/app/../../etc", "normalised"},
            {"/opt/app/current", ""},
            {"/opt/app", ""},
            {"/home/ec2-user/app", ""},
            {"/usr/local/app", ""},
            {"/srv/www", ""},
        },
        true);
}

TEST(StageSafety, CleanFolderMustNotContainStateDir) {
    const std::vector<ProtectedFolder> elsewhere = {{"/srv/deploy/state", "state_dir"}};
    const auto v = check_clean_folder("/srv/deploy", elsewhere);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->rule, "state-dir");
    EXPECT_EQ(v->text(),
              "rule state-dir: cleaning /srv/deploy would delete state_dir /srv/deploy/state");
    EXPECT_FALSE(check_clean_folder("/srv/deployment", elsewhere).has_value());
}

TEST(StageSafety, SourceRules) {
    const Row rows[] = {
        {"deploy/docker-compose.yml", ""},
        {"x", ""},
        {"/deploy/x.yml", "source-in-bundle", "write deploy/x.yml"},
        {"../etc/shadow", "source-in-bundle", "climbs out of the bundle"},
        {"deploy/../../x", "source-in-bundle"},
        {"deploy//x", "normalised"},
        {"./x", "normalised"},
        {"", "source-in-bundle"},
    };
    for (const auto& row : rows) {
        const auto v = check_source(row.path);
        if (std::string(row.rule).empty()) {
            EXPECT_FALSE(v.has_value()) << row.path;
            continue;
        }
        ASSERT_TRUE(v.has_value()) << row.path;
        EXPECT_EQ(v->rule, row.rule) << v->text();
        EXPECT_NE(v->text().find(row.message_part), std::string::npos) << v->text();
    }
}

TEST(StageSafety, ModesAndHelpers) {
    EXPECT_FALSE(check_mode(0644).has_value());
    EXPECT_FALSE(check_mode(04755).has_value());
    ASSERT_TRUE(check_mode(010000).has_value());
    EXPECT_EQ(check_mode(010000)->text(),
              "rule mode: mode 010000 has more than permission bits (at most 07777)");
    EXPECT_EQ(format_mode(0644), "0644");
    EXPECT_EQ(format_mode(0), "0000");
    EXPECT_EQ(format_mode(04755), "04755");
    EXPECT_TRUE(is_inside("/a/b", "/a"));
    EXPECT_TRUE(is_inside("/a", "/a"));
    EXPECT_FALSE(is_inside("/ab", "/a"));
    EXPECT_TRUE(is_inside("/a", "/"));
    EXPECT_EQ(lexically_normal("/a/./b//c/../d/"), "/a/b/d");
    EXPECT_EQ(lexically_normal("/../.."), "/");
}

}  // namespace
}  // namespace stagehand::core
