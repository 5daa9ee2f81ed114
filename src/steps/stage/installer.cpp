#include "steps/stage/installer.hpp"

#include <cerrno>

#include "os/fs/atomic_file.hpp"
#include "util/sha256.hpp"

namespace stagehand::steps {
namespace {

std::string why(const util::Error& e) {
    return e.message;
}

}  // namespace

util::Status Installer::back_up(const core::FilePlan& file,
                                std::chrono::system_clock::time_point now, Installed& record) {
    // Back up what is there now, not what validation saw: that is what the rename replaces.
    auto old = m_fs.read_file(file.destination);
    if (!old) {
        return util::Error{"failed to back up " + file.destination + ": " + why(old.error()),
                           old.error().code};
    }
    auto info = m_fs.lstat(file.destination);
    if (!info) {
        return util::Error{"failed to back up " + file.destination + ": " + why(info.error()),
                           info.error().code};
    }
    const std::string sha = util::sha256_hex(*old);
    record.previous = core::FileFacts{sha, info->mode, info->uid, info->gid,
                                      static_cast<std::int64_t>(old->size())};
    record.backup_folder = backup_folder(file.destination);
    record.backup_path = os::join_path(record.backup_folder, core::backup_name(now, sha));
    // 0700: backups may hold secrets (an .env file) whatever the original's folder allowed.
    if (auto st = m_fs.make_dirs(record.backup_folder, 0700); !st) {
        return util::Error{"failed to back up " + file.destination + ": " + why(st.error()),
                           st.error().code};
    }
    auto st = os::write_file_atomic(m_fs, record.backup_path, *old, info->mode,
                                    std::make_pair(info->uid, info->gid));
    if (!st) {
        return util::Error{"failed to back up " + file.destination + ": " + why(st.error()),
                           st.error().code};
    }
    record.replaced = true;
    return {};
}

util::Status Installer::write_new(const core::FilePlan& file, Installed& record) {
    auto content = m_fs.read_file(file.source);
    if (!content) {
        return content.error();
    }
    if (util::sha256_hex(*content) != file.target.sha256) {
        return util::Error{file.source + " changed since it was validated; run again", ESTALE};
    }
    auto out = os::AtomicFile::create(m_fs, file.destination);
    if (!out) {
        return out.error();
    }
    out->set_owner(file.target.uid, file.target.gid);
    out->set_mode(file.target.mode);
    if (auto st = out->write(*content); !st) {
        return st;
    }
    auto st = out->commit();
    if (out->committed()) {
        m_installed.push_back(record);  // in place even if the folder fsync failed
    }
    return st;
}

util::Status Installer::install(const core::FilePlan& file,
                                std::chrono::system_clock::time_point now) {
    Installed record;
    record.destination = file.destination;
    if (file.create_folder) {
        if (auto st = m_fs.make_dirs(os::parent_path(file.destination), 0755); !st) {
            return st;
        }
    }
    auto info = m_fs.lstat(file.destination);
    if (info) {
        if (info->type != os::FileType::regular) {
            return util::Error{file.destination + " is no longer a regular file; run again",
                               ESTALE};
        }
        if (auto st = back_up(file, now, record); !st) {
            return st;
        }
    } else if (info.error().code != ENOENT) {
        return info.error();
    }
    return write_new(file, record);
}

util::Status Installer::restore(const Installed& record) {
    if (!record.replaced) {
        if (auto st = m_fs.unlink(record.destination); !st && st.error().code != ENOENT) {
            return st;
        }
        return m_fs.fsync_dir(os::parent_path(record.destination));
    }
    auto old = m_fs.read_file(record.backup_path);
    if (!old) {
        return old.error();
    }
    if (util::sha256_hex(*old) != record.previous.sha256) {
        return util::Error{"the backup " + record.backup_path + " does not match what it saved",
                           EIO};
    }
    return os::write_file_atomic(m_fs, record.destination, *old, record.previous.mode,
                                 std::make_pair(record.previous.uid, record.previous.gid));
}

std::vector<std::string> Installer::rollback() {
    std::vector<std::string> failures;
    for (auto it = m_installed.rbegin(); it != m_installed.rend(); ++it) {
        if (auto st = restore(*it); !st) {
            failures.push_back("failed to put back " + it->destination + ": " + st.error().message +
                               (it->replaced
                                    ? " (the previous version is in " + it->backup_path + ")"
                                    : std::string()));
        }
    }
    m_installed.clear();
    return failures;
}

std::string Installer::backup_folder(const std::string& destination) const {
    return os::join_path(m_backup_root, core::escape_destination(destination));
}

std::vector<std::string> Installer::rotate_backups(const std::vector<std::string>& destinations,
                                                   int keep) {
    std::vector<std::string> failures;
    for (const auto& destination : destinations) {
        const std::string folder = backup_folder(destination);
        auto names = m_fs.list_dir(folder);
        if (!names) {
            if (names.error().code != ENOENT) {  // never replaced: no backups
                failures.push_back(names.error().message);
            }
            continue;
        }
        for (const auto& name : core::backups_to_remove(*names, keep)) {
            if (auto st = m_fs.unlink(os::join_path(folder, name)); !st) {
                failures.push_back(st.error().message);
            }
        }
    }
    return failures;
}

}  // namespace stagehand::steps
