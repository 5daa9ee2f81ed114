#include "os/fs/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/faulty_filesystem.hpp"

namespace stagehand::os {
namespace {

using testing::FaultyFileSystem;
using testing::FsOp;

namespace stdfs = std::filesystem;

class FsAtomicFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/stagehand-fs-XXXXXX";
        ASSERT_NE(::mkdtemp(name), nullptr);
        m_dir = name;
    }
    void TearDown() override {
        if (!m_mount.empty()) {
            ::umount2(m_mount.c_str(), MNT_DETACH);
        }
        stdfs::remove_all(m_dir);
    }
    std::string path(const std::string& name) const { return m_dir + "/" + name; }
    static std::string read(const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void write(const std::string& p, const std::string& content) {
        std::ofstream(p, std::ios::binary) << content;
    }
    std::vector<std::string> temp_files() const {
        std::vector<std::string> out;
        for (const auto& e : stdfs::recursive_directory_iterator(m_dir)) {
            if (e.path().filename().string().rfind(std::string(k_temp_prefix), 0) == 0) {
                out.push_back(e.path());
            }
        }
        return out;
    }

    std::string m_dir;
    std::string m_mount;
    PosixFileSystem m_fs;
};

TEST_F(FsAtomicFile, CommitReplacesContentModeAndOwner) {
    write(path("target"), "old");
    {
        auto file = AtomicFile::create(m_fs, path("target"));
        ASSERT_TRUE(file) << file.error().message;
        EXPECT_EQ(stdfs::path(file->temp_path()).parent_path(), stdfs::path(m_dir));
        file->set_mode(0640);
        file->set_owner(1000, 1001);
        ASSERT_TRUE(file->write("new "));
        ASSERT_TRUE(file->write("content"));
        EXPECT_EQ(read(path("target")), "old");  // nothing visible before commit
        auto st = file->commit();
        ASSERT_TRUE(st) << st.error().message;
    }
    EXPECT_EQ(read(path("target")), "new content");
    struct stat info {};
    ASSERT_EQ(::stat(path("target").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0640U);
    EXPECT_EQ(info.st_uid, 1000U);
    EXPECT_EQ(info.st_gid, 1001U);
    EXPECT_TRUE(temp_files().empty());
}

TEST_F(FsAtomicFile, DestructorDiscardsWithoutCommit) {
    write(path("target"), "old");
    std::string temp;
    {
        auto file = AtomicFile::create(m_fs, path("target"));
        ASSERT_TRUE(file);
        ASSERT_TRUE(file->write("half"));
        temp = file->temp_path();
        EXPECT_TRUE(stdfs::exists(temp));
    }
    EXPECT_FALSE(stdfs::exists(temp));
    EXPECT_EQ(read(path("target")), "old");
}

TEST_F(FsAtomicFile, TempNamesAreRandomAndPrefixed) {
    auto a = AtomicFile::create(m_fs, path("t"));
    auto b = AtomicFile::create(m_fs, path("t"));
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->temp_path(), b->temp_path());
    EXPECT_EQ(stdfs::path(a->temp_path()).filename().string().rfind(".stagehand-tmp-", 0), 0U);
}

TEST_F(FsAtomicFile, FailureAtEachStepLeavesOldContentAndNoTemp) {
    for (FsOp op : {FsOp::create_temp, FsOp::write_all, FsOp::fchown, FsOp::fchmod, FsOp::fsync,
                    FsOp::rename, FsOp::fsync_dir}) {
        write(path("target"), "old");
        FaultyFileSystem faulty(m_fs);
        faulty.fail_nth(op, 1, EIO);
        auto st = write_file_atomic(faulty, path("target"), "new", 0644, std::make_pair(0U, 0U));
        ASSERT_FALSE(st) << fs_op_name(op);
        EXPECT_TRUE(faulty.fault_fired());
        EXPECT_NE(st.error().message.find(path("target")), std::string::npos) << st.error().message;
        EXPECT_EQ(st.error().code, EIO);
        // fsync_dir fails after the rename: the file is new, which is allowed ("old or new").
        EXPECT_EQ(read(path("target")), op == FsOp::fsync_dir ? "new" : "old") << fs_op_name(op);
        EXPECT_TRUE(temp_files().empty()) << fs_op_name(op);
    }
}

TEST_F(FsAtomicFile, FaultyFileSystemCountsAndFailsTheNthCall) {
    FaultyFileSystem faulty(m_fs);
    write(path("a"), "x");
    faulty.fail_nth(FsOp::read_file, 2, EACCES);
    EXPECT_TRUE(faulty.read_file(path("a")));
    auto second = faulty.read_file(path("a"));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, EACCES);
    EXPECT_TRUE(faulty.read_file(path("a")));  // fires once
    EXPECT_EQ(faulty.calls(FsOp::read_file), 3);
    EXPECT_EQ(faulty.calls(FsOp::any), 3);
    EXPECT_EQ(faulty.mutating_calls(), 0);
    faulty.fail_nth(FsOp::any, 1, ENOSPC, true);
    EXPECT_TRUE(faulty.lstat(path("a")));  // not mutating: not counted
    EXPECT_FALSE(faulty.make_dirs(path("d"), 0755));
}

TEST_F(FsAtomicFile, WriteFileAtomicOnTheRealFilesystem) {
    ASSERT_TRUE(write_file_atomic(path("state.json"), "{}\n", 0600));
    EXPECT_EQ(read(path("state.json")), "{}\n");
    EXPECT_EQ(stdfs::status(path("state.json")).permissions(),
              stdfs::perms::owner_read | stdfs::perms::owner_write);
    auto missing = write_file_atomic(path("no/such/folder/f"), "x");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_NE(missing.error().message.find(path("no/such/folder")), std::string::npos);
}

TEST_F(FsAtomicFile, EmptyDirRemovesContentsButNeverFollowsSymlinks) {
    stdfs::create_directories(path("outside/keep"));
    write(path("outside/keep/precious"), "p");
    stdfs::create_directories(path("clean/sub/deeper"));
    write(path("clean/file"), "f");
    write(path("clean/sub/deeper/file"), "f");
    write(path("clean/.hidden"), "h");
    stdfs::create_directory_symlink(path("outside/keep"), path("clean/link-to-dir"));
    stdfs::create_symlink(path("outside/keep/precious"), path("clean/sub/link-to-file"));
    auto st = m_fs.empty_dir(path("clean"));
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_TRUE(stdfs::is_directory(path("clean")));
    EXPECT_TRUE(stdfs::is_empty(path("clean")));
    EXPECT_EQ(read(path("outside/keep/precious")), "p");
}

TEST_F(FsAtomicFile, EmptyDirRefusesASymlinkedFolderAndMountPointsInside) {
    stdfs::create_directories(path("real"));
    write(path("real/f"), "f");
    stdfs::create_directory_symlink(path("real"), path("link"));
    auto through_link = m_fs.empty_dir(path("link"));
    ASSERT_FALSE(through_link);
    EXPECT_EQ(through_link.error().code, ELOOP);
    EXPECT_TRUE(stdfs::exists(path("real/f")));

    stdfs::create_directories(path("clean/mnt"));
    m_mount = path("clean/mnt");
    ASSERT_EQ(::mount("tmpfs", m_mount.c_str(), "tmpfs", 0, "size=64k"), 0) << strerror(errno);
    write(path("clean/mnt/other-fs-file"), "x");
    auto crossing = m_fs.empty_dir(path("clean"));
    ASSERT_FALSE(crossing);
    EXPECT_EQ(crossing.error().code, EXDEV);
    EXPECT_NE(crossing.error().message.find("mount point"), std::string::npos);
    EXPECT_TRUE(stdfs::exists(path("clean/mnt/other-fs-file")));
}

TEST_F(FsAtomicFile, MakeDirsAndListDir) {
    ASSERT_TRUE(m_fs.make_dirs(path("a/b/c"), 0750));
    ASSERT_TRUE(m_fs.make_dirs(path("a/b/c"), 0750));  // existing: fine
    EXPECT_EQ(stdfs::status(path("a/b")).permissions() & stdfs::perms::all,
              stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec);
    write(path("a/file"), "x");
    EXPECT_EQ(m_fs.make_dirs(path("a/file/x"), 0755).error().code, ENOTDIR);
    auto names = m_fs.list_dir(path("a"));
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, (std::vector<std::string>{"b", "file"}));
    EXPECT_EQ(parent_path("/a/b"), "/a");
    EXPECT_EQ(parent_path("/a"), "/");
    EXPECT_EQ(join_path("/a/", "/b"), "/a/b");
}

}  // namespace
}  // namespace stagehand::os
