#pragma once
// Looking for processes in /proc: what a test left running.

#include <sys/types.h>

#include <string>
#include <vector>

namespace stagehand::integration {

struct ProcessInfo {
    pid_t pid = 0;
    std::string cmdline;  // arguments joined by spaces
};

// Every live process (not a zombie, not this one) whose command line contains token: a test's
// temp folder (its hooks' paths, compose's -f) or its compose project name (compose's -p).
std::vector<ProcessInfo> processes_mentioning(const std::string& token);

// The pid holding an exclusive flock on path (from /proc/locks), or 0 when nobody does.
pid_t flock_holder(const std::string& path);

// A whole /proc file via read(2) ("" when it cannot be read): a process may exit while we
// read, and libstdc++'s filebuf throws on the ESRCH that follows.
std::string read_proc_file(const std::string& path);

// "PID cmdline" per process, for assertion messages.
std::string describe(const std::vector<ProcessInfo>& processes);

}  // namespace stagehand::integration
