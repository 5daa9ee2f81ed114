#pragma once
// Starting a hook process the way the CodeDeploy agent's Open3.popen3(env, cmd, pgroup: true)
// does, and looking at its process group afterwards.

#include <sys/types.h>

#include <string>
#include <vector>

#include "sim/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::agent {

struct SpawnRequest {
    std::vector<std::string> argv;  // argv[0]: the file to execute (a path, never looked up)
    std::vector<std::string> env;   // "KEY=value": the child's whole environment
    // v2 gives the hook /dev/null; v1 (popen3 + stdin.close) an empty pipe already at EOF.
    bool stdin_dev_null = false;
};

// A started child. Its pipes and pidfd are ours; reaping is the caller's job (wait_exit).
struct SpawnedChild {
    pid_t pid = -1;
    UniqueFd out;    // read end of the child's stdout pipe (non-blocking)
    UniqueFd err;    // read end of the child's stderr pipe (non-blocking)
    UniqueFd pidfd;  // readable once the child has exited (Linux >= 5.3)
};

// Forks and execs: child in a new process group (pgid = its pid) in our session, cwd "/",
// signal mask empty and every disposition default, fds 0-2 plus whatever we inherited without
// close-on-exec (as the agent passes it on), ENOEXEC falling back to
// /bin/sh as Ruby's spawn does. Error: fork/pipe failed, or exec failed in the child (code =
// its errno, message "<strerror> - <argv0>" as Ruby words Errno messages).
util::Result<SpawnedChild> spawn_child(const SpawnRequest& request);

// Reaps the exited child without blocking; false if it has not exited yet.
bool try_reap(pid_t pid, int& wait_status);

// Number of live (non-zombie) processes whose process group is pgid, from /proc.
int count_group_members(pid_t pgid);

// The text of a small /proc file, "" when it cannot be opened or read: a process can exit
// between the open and the read, which then fails (ESRCH).
std::string read_proc_text(const std::string& path);

// Ruby's name for an errno value's exception class: "Errno::EACCES".
std::string ruby_errno_class(int err);

}  // namespace stagehand::agent
