// Installing staged files: idempotent re-runs, backups and their rotation, rollback, and a
// failure at every filesystem call (and a real full disk) leaving each destination with its
// old or its new content and no temp file behind.

#include "os/fs/faulty_filesystem.hpp"
#include "stage_harness.hpp"
#include "util/sha256.hpp"

namespace stagehand::steps::testing {
namespace {

class StageInstallTest : public StageTest {
  protected:
    // Three files: one replaced (owner and mode change), one new in a missing folder, one
    // unchanged. Returns the inputs; `old_files` / `new_files` are what each must hold.
    StageInputs three_files() {
        write_text(bundle + "/deploy/compose.yml", "services: {api: {image: shop/api:2}}\n");
        write_text(bundle + "/deploy/app.env", "MODE=prod\n", 0600);
        write_text(bundle + "/deploy/same.conf", "same\n");
        write_text(dest + "/home/compose.yml", "services: {api: {image: shop/api:1}}\n", 0600);
        write_text(dest + "/etc/same.conf", "same\n");
        auto in = inputs();
        auto compose_file = file("deploy/compose.yml", dest + "/home/compose.yml");
        compose_file.mode = 0640;
        compose_file.owner = "ec2-user";
        in.stage.files = {compose_file, file("deploy/app.env", dest + "/new/sub/app.env"),
                          file("deploy/same.conf", dest + "/etc/same.conf")};
        old_files = {{dest + "/home/compose.yml", "services: {api: {image: shop/api:1}}\n"},
                     {dest + "/new/sub/app.env", std::nullopt},
                     {dest + "/etc/same.conf", "same\n"}};
        new_files = {{dest + "/home/compose.yml", "services: {api: {image: shop/api:2}}\n"},
                     {dest + "/new/sub/app.env", "MODE=prod\n"},
                     {dest + "/etc/same.conf", "same\n"}};
        return in;
    }
    static std::optional<std::string> content_of(const std::string& path) {
        if (!stdfs::exists(path)) {
            return std::nullopt;
        }
        return read_text(path);
    }
    bool holds(const std::map<std::string, std::optional<std::string>>& files) const {
        for (const auto& [path, content] : files) {
            if (content_of(path) != content) {
                return false;
            }
        }
        return true;
    }
    std::vector<std::string> backups_of(const std::string& destination) const {
        std::vector<std::string> out;
        const std::string folder = state + "/backups/" + core::escape_destination(destination);
        if (stdfs::exists(folder)) {
            for (const auto& e : stdfs::directory_iterator(folder)) {
                out.push_back(read_text(e.path()));
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    std::map<std::string, std::optional<std::string>> old_files;
    std::map<std::string, std::optional<std::string>> new_files;
};

TEST_F(StageInstallTest, InstallsWithModeOwnerBackupAndManifest) {
    auto in = three_files();
    const auto out = stage(in);
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_TRUE(holds(new_files));
    struct stat st {};
    ASSERT_EQ(::stat((dest + "/home/compose.yml").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640U);
    EXPECT_EQ(st.st_uid, 1000U);
    EXPECT_EQ(st.st_gid, 1000U);  // ec2-user's primary group
    ASSERT_EQ(::stat((dest + "/new/sub/app.env").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);  // the source's mode
    EXPECT_EQ(stdfs::status(dest + "/new/sub").permissions(), static_cast<stdfs::perms>(0755));
    EXPECT_EQ(backups_of(dest + "/home/compose.yml"),
              std::vector<std::string>{"services: {api: {image: shop/api:1}}\n"});
    const std::string manifest = read_text(state + "/staging-manifest.json");
    EXPECT_NE(manifest.find("\"deployment_id\": \"d-1\""), std::string::npos);
    EXPECT_NE(manifest.find(util::sha256_hex("MODE=prod\n")), std::string::npos);
    EXPECT_NE(manifest.find("\"shop/api:2\""), std::string::npos);
    EXPECT_TRUE(temp_files_under(root).empty());
    std::vector<std::string> details;
    for (const auto& op : out.ops) {
        details.push_back(op.kind + " " + op.detail);
    }
    EXPECT_EQ(details,
              (std::vector<std::string>{"install replaced (backup kept)", "install created",
                                        "install unchanged", "manifest written"}));
}

TEST_F(StageInstallTest, ReRunningTheSameBundleRewritesNothing) {
    auto in = three_files();
    ASSERT_TRUE(stage(in).status);
    const auto before = snapshot(root);
    const auto out = stage(in);
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_EQ(snapshot(root), before);  // inodes, mtimes, backups, manifest: all unchanged
    for (const auto& op : out.ops) {
        EXPECT_EQ(op.status, OpStatus::skipped) << op.kind << " " << op.target;
    }
}

TEST_F(StageInstallTest, BackupRotationKeepsTheLastN) {
    auto in = inputs();
    in.stage.backups = 2;
    in.stage.files = {file("app.yml", dest + "/app.yml")};
    write_text(dest + "/app.yml", "v0");
    for (int version = 1; version <= 5; ++version) {
        write_text(bundle + "/app.yml", "v" + std::to_string(version));
        in.deployment_id = "d-" + std::to_string(version);
        ASSERT_TRUE(stage(in).status);
    }
    EXPECT_EQ(read_text(dest + "/app.yml"), "v5");
    EXPECT_EQ(backups_of(dest + "/app.yml"), (std::vector<std::string>{"v3", "v4"}));
    in.stage.backups = 0;
    write_text(bundle + "/app.yml", "v6");
    ASSERT_TRUE(stage(in).status);
    EXPECT_TRUE(backups_of(dest + "/app.yml").empty());
}

TEST_F(StageInstallTest, RollbackRestoresExactlyTheOldFiles) {
    auto in = three_files();
    const auto before = snapshot(dest);
    os::PosixFileSystem real;
    os::FaultyFileSystem faulty(real);
    // Fail the manifest write (the last rename): both installed files must be put back.
    faulty.fail_nth(os::FsOp::rename, 4, EIO);
    const auto out = stage(in, faulty);
    ASSERT_TRUE(faulty.fault_fired());
    ASSERT_FALSE(out.status);
    EXPECT_NE(out.status.error().message.find("staging-manifest.json"), std::string::npos)
        << out.status.error().message;
    EXPECT_TRUE(out.rolled_back);
    EXPECT_TRUE(holds(old_files));
    // Content, mode and owner are back; the replaced file has a new inode (atomic rename)
    // and the created folder stays.
    auto after = snapshot(dest);
    for (const auto& [path, entry] : before) {
        ASSERT_EQ(after.count(path), 1U) << path;
        EXPECT_EQ(after[path].content, entry.content) << path;
        EXPECT_EQ(after[path].mode, entry.mode) << path;
        EXPECT_EQ(after[path].uid, entry.uid) << path;
        EXPECT_EQ(after[path].gid, entry.gid) << path;
    }
    EXPECT_FALSE(stdfs::exists(dest + "/new/sub/app.env"));
    EXPECT_TRUE(temp_files_under(root).empty());
}

TEST_F(StageInstallTest, AVanishedDestinationFolderNamesTheFile) {
    auto in = three_files();
    write_text(dest + "/gone/x.yml", "old");
    write_text(bundle + "/x.yml", "new");
    in.stage.files.push_back(file("x.yml", dest + "/gone/x.yml"));
    auto ctx = context();
    os::PosixFileSystem fs;
    StageStep step(ctx, fs, in);
    auto v = step.validate();
    ASSERT_TRUE(v && v->ok());
    stdfs::remove_all(dest + "/gone");
    const auto out = step.run(v->plan);
    ASSERT_FALSE(out.status);
    EXPECT_EQ(out.status.error().code, ENOENT);
    EXPECT_EQ(out.status.error().message.rfind("failed to install " + dest + "/gone/x.yml: ", 0),
              0U)
        << out.status.error().message;
    EXPECT_TRUE(holds(old_files));
}

// The heart of it: fail the Nth filesystem call of a run, for every N, and check that each
// destination holds its old or its new content (in fact all old, thanks to rollback, or all
// new), and that no temp file is left anywhere.
TEST_F(StageInstallTest, FailureAtEveryFilesystemCallLeavesOldOrNewAndNoTemp) {
    int total = 0;
    {
        auto in = three_files();
        os::PosixFileSystem real;
        os::FaultyFileSystem counting(real);
        ASSERT_TRUE(stage(in, counting).status);
        total = counting.calls(os::FsOp::any);
    }
    ASSERT_GT(total, 20);
    RecordProperty("filesystem_calls", total);
    const auto open_fds = [] {
        return std::distance(stdfs::directory_iterator("/proc/self/fd"), {});
    };
    const auto fds_before = open_fds();
    for (int n = 1; n <= total; ++n) {
        TearDown();
        SetUp();
        auto in = three_files();
        os::PosixFileSystem real;
        os::FaultyFileSystem faulty(real);
        faulty.fail_nth(os::FsOp::any, n, n % 2 == 0 ? EIO : ENOSPC);
        const auto out = stage(in, faulty);
        SCOPED_TRACE("failing call " + std::to_string(n) + " of " + std::to_string(total));
        ASSERT_TRUE(faulty.fault_fired());
        for (const auto& [path, old_content] : old_files) {
            const auto now = content_of(path);
            EXPECT_TRUE(now == old_content || now == new_files[path]) << path;
        }
        if (out.status) {
            EXPECT_TRUE(holds(new_files));  // e.g. a failed backup rotation: only a warning
        } else {
            EXPECT_TRUE(holds(old_files)) << out.status.error().message;
            EXPECT_FALSE(out.status.error().message.empty());
        }
        EXPECT_TRUE(temp_files_under(root).empty());
    }
    EXPECT_EQ(open_fds(), fds_before) << "an error path leaked a file descriptor";
}

TEST_F(StageInstallTest, RealDiskFullOnATinyTmpfs) {
    mount_tmpfs(dest + "/small", "64k");
    write_text(dest + "/small/a.conf", "old a");
    write_text(dest + "/small/b.bin", "old b");
    write_text(bundle + "/a.conf", "new a");
    write_text(bundle + "/b.bin", std::string(200 * 1024, 'x'));
    auto in = inputs();
    in.mountinfo_path = "/proc/self/mountinfo";
    in.stage.files = {file("a.conf", dest + "/small/a.conf"), file("b.bin", dest + "/small/b.bin")};
    const auto out = stage(in);
    ASSERT_FALSE(out.status);
    EXPECT_EQ(out.status.error().code, ENOSPC);
    EXPECT_EQ(out.status.error().message, "failed to install " + dest +
                                              "/small/b.bin: failed to write " + dest +
                                              "/small/b.bin: No space left on device");
    EXPECT_TRUE(out.rolled_back);
    EXPECT_EQ(read_text(dest + "/small/a.conf"), "old a");
    EXPECT_EQ(read_text(dest + "/small/b.bin"), "old b");
    EXPECT_TRUE(temp_files_under(root).empty());
}

TEST_F(StageInstallTest, CancelAndDeadlineStopBeforeTheNextFile) {
    auto in = three_files();
    cancel.fire(os::CancelReason::sigterm);
    auto out = stage(in);
    ASSERT_FALSE(out.status);
    EXPECT_EQ(out.status.error().code, ECANCELED);
    EXPECT_TRUE(holds(old_files));
}

TEST_F(StageInstallTest, ASourceChangedAfterValidationIsNotInstalled) {
    auto in = three_files();
    auto ctx = context();
    os::PosixFileSystem fs;
    StageStep step(ctx, fs, in);
    auto v = step.validate();
    ASSERT_TRUE(v && v->ok());
    write_text(bundle + "/deploy/app.env", "MODE=tampered\n");
    const auto out = step.run(v->plan);
    ASSERT_FALSE(out.status);
    EXPECT_NE(out.status.error().message.find("changed since it was validated"), std::string::npos);
    EXPECT_TRUE(holds(old_files));
}

}  // namespace
}  // namespace stagehand::steps::testing
