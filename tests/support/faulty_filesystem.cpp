#include "support/faulty_filesystem.hpp"

#include <cstring>

namespace stagehand::testing {

const char* fs_op_name(FsOp op) {
    static constexpr std::array<const char*, k_fs_op_count> k_names = {
        "read_file", "stat",      "lstat",     "create_temp", "write_all", "fsync",
        "fchown",    "fchmod",    "rename",    "unlink",      "list_dir",  "empty_dir",
        "make_dirs", "real_path", "fsync_dir", "any"};
    return k_names[static_cast<std::size_t>(op)];
}

bool fs_op_mutates(FsOp op) {
    switch (op) {
        case FsOp::create_temp:
        case FsOp::write_all:
        case FsOp::fsync:
        case FsOp::fchown:
        case FsOp::fchmod:
        case FsOp::rename:
        case FsOp::unlink:
        case FsOp::empty_dir:
        case FsOp::make_dirs:
        case FsOp::fsync_dir:
            return true;
        default:
            return false;
    }
}

void FaultyFileSystem::fail_nth(FsOp op, int nth, int err, bool only_mutating) {
    m_fault_op = op;
    m_fault_mutating_only = op == FsOp::any && only_mutating;
    const int base = m_fault_mutating_only ? m_mutating_calls : calls(op);
    m_fault_at = base + nth;
    m_fault_errno = err;
    m_fired = false;
}

bool FaultyFileSystem::should_fail(FsOp op, const std::string& what, util::Error& out) {
    ++m_calls[static_cast<std::size_t>(op)];
    ++m_calls[static_cast<std::size_t>(FsOp::any)];
    const bool mutating = fs_op_mutates(op);
    if (mutating) {
        ++m_mutating_calls;
    }
    if (m_fault_at == 0) {
        return false;
    }
    int count = 0;
    if (m_fault_op == FsOp::any) {
        if (m_fault_mutating_only && !mutating) {
            return false;
        }
        count = m_fault_mutating_only ? m_mutating_calls : calls(FsOp::any);
    } else if (m_fault_op == op) {
        count = calls(op);
    } else {
        return false;
    }
    if (count != m_fault_at) {
        return false;
    }
    m_fault_at = 0;
    m_fired = true;
    out = util::Error{std::string(fs_op_name(op)) + " " + what + ": " +
                          std::strerror(m_fault_errno) + " (injected)",
                      m_fault_errno};
    return true;
}

util::Result<std::string> FaultyFileSystem::read_file(const std::string& path) {
    if (util::Error e; should_fail(FsOp::read_file, path, e)) {
        return e;
    }
    return m_inner.read_file(path);
}

util::Result<os::FileInfo> FaultyFileSystem::stat(const std::string& path) {
    if (util::Error e; should_fail(FsOp::stat, path, e)) {
        return e;
    }
    return m_inner.stat(path);
}

util::Result<os::FileInfo> FaultyFileSystem::lstat(const std::string& path) {
    if (util::Error e; should_fail(FsOp::lstat, path, e)) {
        return e;
    }
    return m_inner.lstat(path);
}

util::Result<os::TempFile> FaultyFileSystem::create_temp(const std::string& dir, unsigned mode) {
    if (util::Error e; should_fail(FsOp::create_temp, dir, e)) {
        return e;
    }
    return m_inner.create_temp(dir, mode);
}

util::Status FaultyFileSystem::write_all(int fd, std::string_view data) {
    if (util::Error e; should_fail(FsOp::write_all, "fd " + std::to_string(fd), e)) {
        return e;
    }
    return m_inner.write_all(fd, data);
}

util::Status FaultyFileSystem::fsync(int fd) {
    if (util::Error e; should_fail(FsOp::fsync, "fd " + std::to_string(fd), e)) {
        return e;
    }
    return m_inner.fsync(fd);
}

util::Status FaultyFileSystem::fchown(int fd, uid_t uid, gid_t gid) {
    if (util::Error e; should_fail(FsOp::fchown, "fd " + std::to_string(fd), e)) {
        return e;
    }
    return m_inner.fchown(fd, uid, gid);
}

util::Status FaultyFileSystem::fchmod(int fd, unsigned mode) {
    if (util::Error e; should_fail(FsOp::fchmod, "fd " + std::to_string(fd), e)) {
        return e;
    }
    return m_inner.fchmod(fd, mode);
}

util::Status FaultyFileSystem::rename(const std::string& from, const std::string& to) {
    if (util::Error e; should_fail(FsOp::rename, from + " to " + to, e)) {
        return e;
    }
    return m_inner.rename(from, to);
}

util::Status FaultyFileSystem::unlink(const std::string& path) {
    if (util::Error e; should_fail(FsOp::unlink, path, e)) {
        return e;
    }
    return m_inner.unlink(path);
}

util::Result<std::vector<std::string>> FaultyFileSystem::list_dir(const std::string& path) {
    if (util::Error e; should_fail(FsOp::list_dir, path, e)) {
        return e;
    }
    return m_inner.list_dir(path);
}

util::Status FaultyFileSystem::empty_dir(const std::string& dir) {
    if (util::Error e; should_fail(FsOp::empty_dir, dir, e)) {
        return e;
    }
    return m_inner.empty_dir(dir);
}

util::Status FaultyFileSystem::make_dirs(const std::string& path, unsigned mode) {
    if (util::Error e; should_fail(FsOp::make_dirs, path, e)) {
        return e;
    }
    return m_inner.make_dirs(path, mode);
}

util::Result<std::string> FaultyFileSystem::real_path(const std::string& path) {
    if (util::Error e; should_fail(FsOp::real_path, path, e)) {
        return e;
    }
    return m_inner.real_path(path);
}

util::Status FaultyFileSystem::fsync_dir(const std::string& dir) {
    if (util::Error e; should_fail(FsOp::fsync_dir, dir, e)) {
        return e;
    }
    return m_inner.fsync_dir(dir);
}

}  // namespace stagehand::testing
