#pragma once
// The filesystem as staging sees it (ninja's DiskInterface): every operation that reads or
// changes the host goes through this seam, so tests can fail any single call
// (tests/support/faulty_filesystem.hpp) and check that a half-finished install never leaves a mixed
// file. Error messages name the path and the cause; `Error::code` holds errno.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "os/sys/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// Temp files are named k_temp_prefix + k_temp_suffix_length random [a-z0-9], so a leftover
// one (after a crash) is recognisable as ours (os::is_temp_file_name).
inline constexpr std::string_view k_temp_prefix = ".stagehand-tmp-";
inline constexpr std::size_t k_temp_suffix_length = 16;

enum class FileType { regular, directory, symlink, other };

struct FileInfo {
    FileType type = FileType::other;
    unsigned mode = 0;  // permission bits only (07777)
    uid_t uid = 0;
    gid_t gid = 0;
    std::int64_t size = 0;
    dev_t dev = 0;
    ino_t ino = 0;
    std::int64_t mtime_ns = 0;  // nanoseconds since the epoch
};

// A freshly created temp file: open for writing, not yet in place.
struct TempFile {
    UniqueFd fd;
    std::string path;
};

class FileSystem {
  public:
    virtual ~FileSystem() = default;
    // The whole content of a file (follows symlinks).
    virtual util::Result<std::string> read_file(const std::string& path) = 0;
    // stat follows symlinks; lstat does not. ENOENT is an error like any other: the caller
    // checks `error().code`.
    virtual util::Result<FileInfo> stat(const std::string& path) = 0;
    virtual util::Result<FileInfo> lstat(const std::string& path) = 0;
    // Creates `<dir>/.stagehand-tmp-<random>` with O_EXCL|O_CLOEXEC|O_NOFOLLOW and `mode`.
    virtual util::Result<TempFile> create_temp(const std::string& dir, unsigned mode) = 0;
    // Writes all of `data` (retries short writes and EINTR).
    virtual util::Status write_all(int fd, std::string_view data) = 0;
    virtual util::Status fsync(int fd) = 0;
    virtual util::Status fchown(int fd, uid_t uid, gid_t gid) = 0;
    virtual util::Status fchmod(int fd, unsigned mode) = 0;
    // rename(2): atomic replace within one filesystem.
    virtual util::Status rename(const std::string& from, const std::string& to) = 0;
    virtual util::Status unlink(const std::string& path) = 0;
    // Entry names (no "." or ".."), sorted.
    virtual util::Result<std::vector<std::string>> list_dir(const std::string& path) = 0;
    // Removes everything inside `dir` but not `dir` itself. Never follows a symlink (a link
    // is removed, not its target) and never crosses into another filesystem (a mount point
    // inside `dir` is an error, reported before anything on it is touched).
    virtual util::Status empty_dir(const std::string& dir) = 0;
    // `mkdir -p` with `mode` for each folder it creates; existing folders are left alone.
    virtual util::Status make_dirs(const std::string& path, unsigned mode) = 0;
    // realpath(3): the canonical path, every symlink resolved.
    virtual util::Result<std::string> real_path(const std::string& path) = 0;
    // fsync of a folder, so a rename in it survives a crash.
    virtual util::Status fsync_dir(const std::string& dir) = 0;
};

// The real thing: POSIX calls, all fds close-on-exec.
class PosixFileSystem final : public FileSystem {
  public:
    util::Result<std::string> read_file(const std::string& path) override;
    util::Result<FileInfo> stat(const std::string& path) override;
    util::Result<FileInfo> lstat(const std::string& path) override;
    util::Result<TempFile> create_temp(const std::string& dir, unsigned mode) override;
    util::Status write_all(int fd, std::string_view data) override;
    util::Status fsync(int fd) override;
    util::Status fchown(int fd, uid_t uid, gid_t gid) override;
    util::Status fchmod(int fd, unsigned mode) override;
    util::Status rename(const std::string& from, const std::string& to) override;
    util::Status unlink(const std::string& path) override;
    util::Result<std::vector<std::string>> list_dir(const std::string& path) override;
    util::Status empty_dir(const std::string& dir) override;
    util::Status make_dirs(const std::string& path, unsigned mode) override;
    util::Result<std::string> real_path(const std::string& path) override;
    util::Status fsync_dir(const std::string& dir) override;
};

// "/a/b/c" -> "/a/b"; "/a" -> "/"; "c" -> ".".
std::string parent_path(std::string_view path);
// Joins with exactly one '/' between the parts.
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace stagehand::os
