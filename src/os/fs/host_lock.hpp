#pragma once
// One stagehand run at a time per host (SPEC section 2): flock(2) on <state_dir>/lock. The
// lock file holds who holds it (JSON, written after taking the lock) so a waiting run can
// say whom it waits for. flock belongs to the open file description, so the kernel releases
// it when the holder dies, however it dies. The file is never replaced or removed: a rename
// would give the next run a different inode to lock.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "os/sys/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct LockHolder {
    int pid = 0;                // filled in by HostLock::acquire
    std::string hook;           // before-install, after-install, validate-service
    std::string project;        // compose project
    std::string deployment_id;  // DEPLOYMENT_ID or "manual-..."
    std::string started_at;     // RFC 3339, UTC

    std::string to_json() const;
    // nullopt when the text is empty or not ours (a holder caught mid-write).
    static std::optional<LockHolder> from_json(std::string_view text);
    // "PID 4242 (after-install, project shop, deployment d-ABC, since 2024-05-01T12:00:00Z)"
    std::string describe() const;
};

class HostLock {
  public:
    // Polled this often while another run holds the lock.
    static constexpr std::chrono::milliseconds k_poll{200};

    // Takes the lock at `path` (creating the file 0644, and its folder 0755, if missing),
    // then writes `me` (with our PID) into it. While another run holds it, calls
    // `on_wait(holder description)` every poll and waits until `deadline` (pass
    // min(now + lock_timeout, run deadline)) or until `cancel` fires.
    // Errors: code ETIMEDOUT -- "timed out waiting for the lock <path>, held by <holder>"
    // (exit 3); code ECANCELED -- cancelled while waiting; any other code -- the lock file
    // could not be opened or locked.
    static util::Result<HostLock> acquire(const std::string& path, LockHolder me, MonoTime deadline,
                                          Clock& clock, const Cancel& cancel,
                                          const std::function<void(const std::string&)>& on_wait);

    // The holder recorded in the lock file at `path`, described; "an unknown process" when
    // the file is empty or unreadable.
    static std::string describe_holder(const std::string& path);

    HostLock(HostLock&&) noexcept = default;
    HostLock& operator=(HostLock&&) noexcept = default;
    HostLock(const HostLock&) = delete;
    HostLock& operator=(const HostLock&) = delete;
    // Empties the holder record and releases the lock.
    ~HostLock();

    const std::string& path() const { return m_path; }

  private:
    HostLock(std::string path, UniqueFd fd) : m_path(std::move(path)), m_fd(std::move(fd)) {}

    std::string m_path;
    UniqueFd m_fd;
};

}  // namespace stagehand::os
