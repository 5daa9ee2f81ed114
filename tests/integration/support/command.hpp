#pragma once
// Child processes of the integration tests themselves: the docker CLI, a second dockerd, and
// codedeploy-sim. Independent of the product's own process runner on purpose, so a bug there
// cannot hide behind the tests.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace stagehand::integration {

using Millis = std::chrono::milliseconds;

struct CommandResult {
    int status = -1;         // exit status; -1 when killed by a signal or never started
    int signal = 0;          // the signal that ended it, 0 if none
    bool hit_limit = false;  // still running at the limit: it was killed
    std::string out;
    std::string err;

    bool ok() const { return status == 0; }
    // "exit 1: <last stderr line>" and the like, for assertion messages.
    std::string describe() const;
};

// A started child with stdout and stderr on pipes, in its own process group. The destructor
// SIGKILLs the group and reaps when nobody called finish(), so a failing test leaks nothing.
class Child {
  public:
    // argv[0] is looked up on PATH; env_add ("K=V") is appended to this process's environment.
    static Child start(const std::vector<std::string>& argv,
                       const std::vector<std::string>& env_add = {});
    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    pid_t pid() const { return m_pid; }
    bool started() const { return m_pid > 0; }
    // Reads both pipes to EOF and reaps. At `limit`: SIGTERM (codedeploy-sim then kills its
    // hook's group), 5 s later SIGKILL to the child's group; hit_limit is set.
    CommandResult finish(Millis limit);

  private:
    void release();

    pid_t m_pid = -1;
    int m_out = -1;
    int m_err = -1;
};

// Child::start + finish.
CommandResult run_command(const std::vector<std::string>& argv, Millis limit = Millis(120000),
                          const std::vector<std::string>& env_add = {});

// Starts a daemon in its own session: stdin /dev/null, stdout and stderr appended to
// log_path, no pipe of ours inherited. Returns its pid (-1 on failure). The caller stops it.
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log_path);

// Sends sig to pid and waits up to `limit` for it to exit (reaping it when it is our child);
// SIGKILL after that. True when it is gone.
bool stop_process(pid_t pid, int sig, Millis limit);

// True while a process with this pid exists and is not a zombie.
bool running(pid_t pid);

}  // namespace stagehand::integration
