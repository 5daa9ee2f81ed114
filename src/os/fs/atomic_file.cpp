#include "os/fs/atomic_file.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

namespace stagehand::os {

util::Result<AtomicFile> AtomicFile::create(FileSystem& fs, std::string target) {
    auto temp = fs.create_temp(parent_path(target), 0600);
    if (!temp) {
        return util::errno_error(
            "failed to create a temporary file in " + parent_path(target) + " for " + target,
            temp.error().code);
    }
    return AtomicFile(fs, std::move(target), std::move(temp).value());
}

AtomicFile::AtomicFile(FileSystem& fs, std::string target, TempFile temp)
    : m_fs(&fs),
      m_target(std::move(target)),
      m_temp_path(std::move(temp.path)),
      m_fd(std::move(temp.fd)) {}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_fs(other.m_fs),
      m_target(std::move(other.m_target)),
      m_temp_path(std::exchange(other.m_temp_path, std::string())),
      m_fd(std::move(other.m_fd)),
      m_owner(other.m_owner),
      m_mode(other.m_mode),
      m_committed(std::exchange(other.m_committed, true)) {}

AtomicFile::~AtomicFile() {
    discard();
}

void AtomicFile::discard() {
    m_fd.reset();
    if (!m_committed && !m_temp_path.empty()) {
        // Best effort: if even this fails, the recognisable prefix lets an operator (and the
        // next run's log) spot the leftover.
        (void)m_fs->unlink(m_temp_path);
    }
    m_temp_path.clear();
    m_committed = true;
}

util::Status AtomicFile::write(std::string_view data) {
    if (!m_fd.valid()) {
        return util::Error{"failed to write " + m_target + ": already committed or discarded",
                           EBADF};
    }
    if (auto st = m_fs->write_all(m_fd.get(), data); !st) {
        return util::errno_error("failed to write " + m_target, st.error().code);
    }
    return {};
}

util::Status AtomicFile::commit() {
    if (!m_fd.valid()) {
        return util::Error{"failed to commit " + m_target + ": already committed or discarded",
                           EBADF};
    }
    if (m_owner) {
        if (auto st = m_fs->fchown(m_fd.get(), m_owner->first, m_owner->second); !st) {
            return util::errno_error("failed to set the owner of " + m_target, st.error().code);
        }
    }
    if (auto st = m_fs->fchmod(m_fd.get(), m_mode); !st) {
        return util::errno_error("failed to set the mode of " + m_target, st.error().code);
    }
    if (auto st = m_fs->fsync(m_fd.get()); !st) {
        return util::errno_error("failed to fsync " + m_target, st.error().code);
    }
    m_fd.reset();
    if (auto st = m_fs->rename(m_temp_path, m_target); !st) {
        return util::errno_error("failed to rename " + m_temp_path + " to " + m_target,
                                 st.error().code);
    }
    m_committed = true;
    m_temp_path.clear();
    // Without this fsync the rename itself may not survive a power cut (ext4 data=ordered
    // commits it eventually, other filesystems make no promise).
    if (auto st = m_fs->fsync_dir(parent_path(m_target)); !st) {
        return util::errno_error("wrote " + m_target + " but failed to fsync its folder",
                                 st.error().code);
    }
    return {};
}

util::Status write_file_atomic(FileSystem& fs, const std::string& path, std::string_view content,
                               unsigned mode, std::optional<std::pair<uid_t, gid_t>> owner) {
    auto file = AtomicFile::create(fs, path);
    if (!file) {
        return file.error();
    }
    if (owner) {
        file->set_owner(owner->first, owner->second);
    }
    file->set_mode(mode);
    if (auto st = file->write(content); !st) {
        return st;
    }
    return file->commit();
}

util::Status write_file_atomic(const std::string& path, std::string_view content, unsigned mode) {
    PosixFileSystem fs;
    return write_file_atomic(fs, path, content, mode);
}

bool is_temp_file_name(std::string_view name) {
    if (name.size() != k_temp_prefix.size() + k_temp_suffix_length ||
        name.rfind(k_temp_prefix, 0) != 0) {
        return false;
    }
    const auto suffix = name.substr(k_temp_prefix.size());
    return std::all_of(suffix.begin(), suffix.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

TempSweep remove_stale_temp_files(FileSystem& fs, const std::string& dir, uid_t owner) {
    TempSweep sweep;
    auto names = fs.list_dir(dir);
    if (!names) {
        if (names.error().code != ENOENT) {
            sweep.failures.push_back(names.error().message);
        }
        return sweep;
    }
    for (const auto& name : *names) {
        if (!is_temp_file_name(name)) {
            continue;
        }
        const std::string path = join_path(dir, name);
        auto info = fs.lstat(path);
        if (!info || info->type != FileType::regular || info->uid != owner) {
            continue;  // gone already, or not a file we made
        }
        if (auto st = fs.unlink(path); !st) {
            if (st.error().code != ENOENT) {
                sweep.failures.push_back(st.error().message);
            }
            continue;
        }
        sweep.removed.push_back(path);
    }
    return sweep;
}

}  // namespace stagehand::os
