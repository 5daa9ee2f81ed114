#pragma once
// Installs staged files one by one (SPEC section 6, step 4) and can put them all back.
// Each install: back up the version being replaced into <state_dir>/backups/, then write the
// new one atomically (temp file in the destination's folder, owner, mode, fsync, rename,
// fsync the folder). The backup is what rollback() restores from.

#include <chrono>
#include <string>
#include <vector>

#include "core/stage/plan.hpp"
#include "os/fs/filesystem.hpp"
#include "util/result.hpp"

namespace stagehand::steps {

class Installer {
  public:
    // One file this run has put in place.
    struct Installed {
        std::string destination;
        bool replaced = false;     // false: it did not exist before
        std::string backup_path;   // the previous version (when replaced)
        core::FileFacts previous;  // its mode and owner (when replaced)
        std::string backup_folder;
    };

    Installer(os::FileSystem& fs, std::string state_dir)
        : m_fs(fs), m_backup_root(os::join_path(state_dir, "backups")) {}

    // Installs one file of the plan (its action must not be `unchanged`). On error nothing
    // of this file changed -- unless the error came after the rename (fsync of the folder),
    // in which case the file is new and recorded in installed() so rollback() covers it.
    util::Status install(const core::FilePlan& file, std::chrono::system_clock::time_point now);

    // Puts every installed file back, newest first: the previous version from its backup
    // (content, mode, owner), or removes a file that did not exist. Returns one message per
    // file that could not be restored (empty: everything is back).
    std::vector<std::string> rollback();

    // Deletes all but the newest `keep` backups of each of `destinations` -- every file of
    // the plan, not only those this run replaced: a run killed between its backup and its
    // rotation left one too many (issue 13). Returns one message per backup that could not
    // be removed.
    std::vector<std::string> rotate_backups(const std::vector<std::string>& destinations, int keep);

    // <state_dir>/backups/<escaped destination>.
    std::string backup_folder(const std::string& destination) const;

    const std::vector<Installed>& installed() const { return m_installed; }

  private:
    util::Status back_up(const core::FilePlan& file, std::chrono::system_clock::time_point now,
                         Installed& record);
    util::Status write_new(const core::FilePlan& file, Installed& record);
    util::Status restore(const Installed& record);

    os::FileSystem& m_fs;
    std::string m_backup_root;
    std::vector<Installed> m_installed;
};

}  // namespace stagehand::steps
