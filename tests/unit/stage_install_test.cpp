// Installing staged files: idempotent re-runs, backups and their rotation, rollback, and a
// failure at every filesystem call (and a real full disk) leaving each destination with its
// old or its new content and no temp file behind.

#include "stage_harness.hpp"
#include "steps/stage/installer.hpp"
#include "support/faulty_filesystem.hpp"
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
    stagehand::testing::FaultyFileSystem faulty(real);
    // Fail the manifest write (the last rename): both installed files must be put back.
    faulty.fail_nth(stagehand::testing::FsOp::rename, 4, EIO);
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
        stagehand::testing::FaultyFileSystem counting(real);
        ASSERT_TRUE(stage(in, counting).status);
        total = counting.calls(stagehand::testing::FsOp::any);
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
        stagehand::testing::FaultyFileSystem faulty(real);
        faulty.fail_nth(stagehand::testing::FsOp::any, n, n % 2 == 0 ? EIO : ENOSPC);
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

// A SIGKILL mid-install leaves a half-written temp file (0600) next to the destination and
// next to a backup; a crash between the backup and the rotation leaves one backup too many.
// The next run removes exactly the temp files of ours and rotates, even when the file itself
// is unchanged by then (issue 13 item 12).
class StageCrashTest : public StageInstallTest {
  protected:
    // What a killed AtomicFile leaves: a temp file created by the real filesystem, half
    // written, never renamed nor removed.
    std::string leave_temp_file(const std::string& folder) {
        os::PosixFileSystem real;
        auto temp = real.create_temp(folder, 0600);
        EXPECT_TRUE(temp) << temp.error().message;
        if (!temp) {
            return "";
        }
        EXPECT_TRUE(real.write_all(temp->fd.get(), "half of the new con"));
        return temp->path;
    }
};

TEST_F(StageCrashTest, TempFilesOfAnInterruptedRunAreRemovedAndOnlyThose) {
    auto in = inputs();
    in.stage.files = {file("app.yml", dest + "/conf/app.yml")};
    write_text(bundle + "/app.yml", "v1");
    ASSERT_TRUE(stage(in).status);
    const std::string backups =
        state + "/backups/" + core::escape_destination(dest + "/conf/app.yml");
    stdfs::create_directories(backups);
    const std::vector<std::string> ours{leave_temp_file(dest + "/conf"), leave_temp_file(backups)};
    // Look-alikes that are not ours to remove: a name off the pattern, a symlink and a
    // folder with our exact name pattern, and a file of another user.
    const std::string prefix = dest + "/conf/" + std::string(os::k_temp_prefix);
    const std::vector<std::string> not_ours{prefix + "abc",
                                            prefix + "ABCDEFGHIJKLMNOP",
                                            prefix + "abcdefghijklmnop.bak",
                                            prefix + "0123456789abcdef",
                                            prefix + "zzzzzzzzzzzzzzzz",
                                            prefix + "aaaaaaaaaaaaaaaa"};
    write_text(not_ours[0], "x");
    write_text(not_ours[1], "x");
    write_text(not_ours[2], "x");
    stdfs::create_symlink(dest + "/conf/app.yml", not_ours[3]);
    stdfs::create_directories(not_ours[4]);
    write_text(not_ours[5], "x");
    ASSERT_EQ(::chown(not_ours[5].c_str(), 4321, 4321), 0) << std::strerror(errno);

    const auto out = stage(in);  // the same bundle: app.yml itself is unchanged
    ASSERT_TRUE(out.status) << out.status.error().message;
    for (const auto& path : ours) {
        EXPECT_FALSE(stdfs::exists(path)) << path << " left";
    }
    for (const auto& path : not_ours) {
        EXPECT_TRUE(stdfs::exists(stdfs::symlink_status(path))) << path << " removed";
    }
    EXPECT_EQ(read_text(dest + "/conf/app.yml"), "v1");
    int removed = 0;
    for (const auto& op : out.ops) {
        removed += op.kind == "tidy" && op.status == OpStatus::done ? 1 : 0;
    }
    EXPECT_EQ(removed, 2);
}

TEST_F(StageCrashTest, ATempFileThatCannotBeRemovedIsAWarningNotAFailure) {
    auto in = inputs();
    in.stage.files = {file("app.yml", dest + "/app.yml")};
    write_text(bundle + "/app.yml", "v1");
    const std::string left = leave_temp_file(dest);
    os::PosixFileSystem real;
    stagehand::testing::FaultyFileSystem faulty(real);
    faulty.fail_nth(stagehand::testing::FsOp::unlink, 1, EPERM);
    const auto out = stage(in, faulty);
    ASSERT_TRUE(faulty.fault_fired());
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_EQ(read_text(dest + "/app.yml"), "v1");
    EXPECT_TRUE(stdfs::exists(left));
    bool warned = false;
    for (const auto& op : out.ops) {
        warned = warned || (op.kind == "tidy" && op.status == OpStatus::skipped &&
                            op.detail.find("Operation not permitted") != std::string::npos);
    }
    EXPECT_TRUE(warned);
}

TEST_F(StageCrashTest, BackupsHoldAfterACrashBetweenBackupAndRotation) {
    auto in = inputs();
    in.stage.backups = 1;
    in.stage.files = {file("app.yml", dest + "/app.yml")};
    write_text(dest + "/app.yml", "v0");
    // Three installs whose run died before rotating: three backups where one is allowed.
    os::PosixFileSystem real;
    for (int version = 1; version <= 3; ++version) {
        write_text(bundle + "/app.yml", "v" + std::to_string(version));
        auto ctx = context();
        StageStep check(ctx, real, in);
        auto validation = check.validate();
        ASSERT_TRUE(validation && validation->ok());
        Installer installer(real, state);
        ASSERT_TRUE(
            installer.install(validation->plan.files.at(0),
                              std::chrono::system_clock::now() + std::chrono::seconds(version)));
    }
    ASSERT_EQ(backups_of(dest + "/app.yml"), (std::vector<std::string>{"v0", "v1", "v2"}));
    const auto out = stage(in);  // v3 is in place already: nothing to install
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_EQ(read_text(dest + "/app.yml"), "v3");
    EXPECT_EQ(backups_of(dest + "/app.yml"), std::vector<std::string>{"v2"});
}

}  // namespace
}  // namespace stagehand::steps::testing
