#pragma once
// Internal to src/os/process: spawning one child in its own process group with its output on
// pipes, and ending that group. PosixProcessRunner is built on it.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "os/process/process.hpp"
#include "os/sys/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// A child that leads its own process group (pgid == pid). Owns the pid until reaped: the
// destructor SIGKILLs the whole group and reaps, so no error path leaves a child behind.
// The leader is reaped last on purpose: while it is an unreaped zombie its pid, and so the
// group id, cannot be reused, which makes signalling the group safe.
class ChildGroup {
  public:
    ChildGroup() = default;
    explicit ChildGroup(pid_t pid) : m_pid(pid) {}
    ~ChildGroup();
    ChildGroup(ChildGroup&& other) noexcept;
    ChildGroup& operator=(ChildGroup&& other) noexcept;
    ChildGroup(const ChildGroup&) = delete;
    ChildGroup& operator=(const ChildGroup&) = delete;

    pid_t pid() const { return m_pid; }
    bool reaped() const { return m_reaped; }
    // Non-blocking: true once the leader has exited (it is not reaped by this call).
    bool has_exited();
    // Sends `sig` to every process of the group (no-op once reaped).
    void signal_group(int sig);
    // Blocks until the leader is reaped; returns its wait status. Idempotent.
    int reap();
    int status() const { return m_status; }

  private:
    pid_t m_pid = -1;
    int m_status = 0;
    bool m_reaped = false;
};

struct SpawnedChild {
    ChildGroup child;
    UniqueFd out;  // read end of the child's stdout, O_NONBLOCK | O_CLOEXEC
    UniqueFd err;  // read end of the child's stderr, O_NONBLOCK | O_CLOEXEC
};

// Looks up spec.argv[0] (find_executable). Error when argv is empty or nothing is found; the
// message names the executable and where it was searched.
util::Result<std::string> resolve_executable(const ProcessSpec& spec);

// Spawns `executable` with spec's argv, env and cwd: stdin /dev/null, stdout/stderr on fresh
// pipes, every other fd closed, its own process group, empty signal mask and default signal
// dispositions. Error when the process could not be started (exec or chdir failed).
util::Result<SpawnedChild> spawn_child(const std::string& executable, const ProcessSpec& spec);

// Ends the group: SIGTERM, up to `grace` for the leader to exit, then SIGKILL to the whole
// group (members that ignored TERM, or outlived the leader), then reaps the leader.
// `wait_step(until)` is called while waiting and returns by `until` at the latest (callers
// drain the pipes in it). Returns the leader's wait status.
int end_group(ChildGroup& child, std::chrono::milliseconds grace,
              const std::function<void(MonoTime until)>& wait_step);

// For a leader that has exited: SIGKILLs what is left of its group (a probe script's
// `sleep 300 &`, which would otherwise outlive the hook), then reaps the leader. Returns its
// wait status.
int reap_and_end_group(ChildGroup& child);

// Fills exit_code / signal from a wait status.
void apply_wait_status(int status, ProcessOutcome& outcome);

}  // namespace stagehand::os
