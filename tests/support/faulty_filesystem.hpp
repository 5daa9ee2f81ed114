#pragma once
// A FileSystem wrapper for tests: passes every call through to an inner FileSystem, counts
// the calls per operation, and fails the Nth call of a chosen operation (or of any
// operation) with a chosen errno -- the way to prove that a failure at each step of an
// install leaves every file either old or new.

#include <array>
#include <cstddef>
#include <string>

#include "os/fs/filesystem.hpp"

namespace stagehand::testing {

enum class FsOp : std::size_t {
    read_file,
    stat,
    lstat,
    create_temp,
    write_all,
    fsync,
    fchown,
    fchmod,
    rename,
    unlink,
    list_dir,
    empty_dir,
    make_dirs,
    real_path,
    fsync_dir,
    any,  // counts every call; a fault on `any` fails the Nth call whatever it is
};
inline constexpr std::size_t k_fs_op_count = static_cast<std::size_t>(FsOp::any) + 1;

// "rename", "fsync_dir", ...
const char* fs_op_name(FsOp op);
// True for the operations that change the host (create_temp, write_all, ..., fsync_dir).
bool fs_op_mutates(FsOp op);

class FaultyFileSystem final : public os::FileSystem {
  public:
    explicit FaultyFileSystem(os::FileSystem& inner) : m_inner(inner) {}

    // Fails the `nth` (1-based, counted from now on) call of `op` with `err`. Only one fault
    // is armed at a time; it fires once. `only_mutating` with FsOp::any counts only the
    // operations that change the host.
    void fail_nth(FsOp op, int nth, int err, bool only_mutating = false);
    // Calls of `op` since construction (FsOp::any: all calls; mutating ones via
    // mutating_calls()).
    int calls(FsOp op) const { return m_calls[static_cast<std::size_t>(op)]; }
    int mutating_calls() const { return m_mutating_calls; }
    bool fault_fired() const { return m_fired; }

    util::Result<std::string> read_file(const std::string& path) override;
    util::Result<os::FileInfo> stat(const std::string& path) override;
    util::Result<os::FileInfo> lstat(const std::string& path) override;
    util::Result<os::TempFile> create_temp(const std::string& dir, unsigned mode) override;
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

  private:
    // Counts the call; returns the injected error when this call is the armed one.
    bool should_fail(FsOp op, const std::string& what, util::Error& out);

    os::FileSystem& m_inner;
    std::array<int, k_fs_op_count> m_calls{};
    int m_mutating_calls = 0;
    FsOp m_fault_op = FsOp::any;
    int m_fault_at = 0;  // absolute call count at which to fail; 0: disarmed
    int m_fault_errno = 0;
    bool m_fault_mutating_only = false;
    bool m_fired = false;
};

}  // namespace stagehand::testing
