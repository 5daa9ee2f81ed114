#pragma once
// Atomic replace of one file (ccache's AtomicFile, plus the fsyncs ninja and ccache leave
// out): a temp file in the target's folder, write, owner and mode, fsync, rename over the
// target, fsync the folder. `commit()` is explicit; destroying an uncommitted AtomicFile
// removes the temp file, so an error path never leaves a half-written file behind. A crash
// at any point leaves the target with either its old or its new content.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "os/fs/filesystem.hpp"
#include "util/result.hpp"

namespace stagehand::os {

class AtomicFile {
  public:
    // Creates `<folder of target>/.stagehand-tmp-<random>` (mode 0600 until commit). The
    // folder must exist. Error: "failed to create a temporary file in <folder>: <cause>".
    static util::Result<AtomicFile> create(FileSystem& fs, std::string target);

    AtomicFile(AtomicFile&& other) noexcept;
    AtomicFile& operator=(AtomicFile&&) = delete;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();  // discards the temp file unless committed

    // Appends to the temp file. Error names the target: "failed to write <target>: <cause>".
    util::Status write(std::string_view data);
    // Owner and group for the final file (default: whoever we run as).
    void set_owner(uid_t uid, gid_t gid) { m_owner = std::make_pair(uid, gid); }
    // Permission bits for the final file (default 0644).
    void set_mode(unsigned mode) { m_mode = mode; }
    // chown, chmod (in that order: chown clears set-id bits), fsync, rename over the target,
    // fsync the folder. After a failed rename the temp file is still discarded by the
    // destructor. A failure of the last fsync is reported, but the target is already new.
    util::Status commit();
    // Removes the temp file now (idempotent; the destructor calls it).
    void discard();

    const std::string& target() const { return m_target; }
    const std::string& temp_path() const { return m_temp_path; }
    bool committed() const { return m_committed; }

  private:
    AtomicFile(FileSystem& fs, std::string target, TempFile temp);

    FileSystem* m_fs;
    std::string m_target;
    std::string m_temp_path;
    UniqueFd m_fd;
    std::optional<std::pair<uid_t, gid_t>> m_owner;
    unsigned m_mode = 0644;
    bool m_committed = false;
};

// One-call atomic write (state files: profiles.json, reports, the manifest). Creates
// nothing but the file: the folder must exist. `owner` unset keeps whoever we run as.
util::Status write_file_atomic(FileSystem& fs, const std::string& path, std::string_view content,
                               unsigned mode,
                               std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);
// The same on the real filesystem.
util::Status write_file_atomic(const std::string& path, std::string_view content,
                               unsigned mode = 0644);

// True for a name create_temp() makes: k_temp_prefix and exactly 16 of [a-z0-9].
bool is_temp_file_name(std::string_view name);

struct TempSweep {
    std::vector<std::string> removed;   // paths removed
    std::vector<std::string> failures;  // one message per entry that could not be removed
};

// Removes the temp files a killed run left in `dir` (a SIGKILL skips the destructor that
// discards them; conf.d-style readers would load them): regular files, not symlinks or
// folders, owned by `owner`, whose name is exactly one create_temp() makes. Only under the
// host lock, where no other run of ours is writing one. A missing `dir` has none.
TempSweep remove_stale_temp_files(FileSystem& fs, const std::string& dir, uid_t owner);

}  // namespace stagehand::os
