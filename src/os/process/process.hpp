#pragma once
// Running child processes (docker, docker compose, probe commands). Every child: argv (no
// shell), stdin from /dev/null (or a short input), its own process group (so a timeout ends the
// whole `docker compose` tree), all our fds close-on-exec, signal mask and dispositions reset,
// stdout/stderr captured through pipes -- never our own stdout, so no child can keep the
// agent's pipes open after we exit (CodeDeploy error 6, "outputs left open").

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0] is looked up on PATH, then /usr/bin, /usr/local/bin
    std::vector<std::pair<std::string, std::string>> env;  // added to / overriding ours
    std::string cwd;                                       // empty: inherit
    std::size_t max_output = 1 << 20;  // bytes kept per stream; the rest is dropped (tail kept)
    // Asked about once a second while the child runs, with how long it has run: a non-empty
    // answer ends the group (TERM, grace, KILL) and becomes ProcessOutcome::stopped. For a
    // child waiting on something that may have died (compose on a frozen Docker daemon).
    std::function<std::string(std::chrono::milliseconds running_for)> watchdog;
    // Written to the child's stdin, which then reaches EOF (credential helpers read the registry
    // host there). At most k_max_input bytes, so it fits the pipe and never blocks. Empty:
    // stdin is /dev/null.
    std::string input;
    static constexpr std::size_t k_max_input = 4096;
};

struct ProcessOutcome {
    int exit_code = -1;      // valid when signal == 0 and neither flag is set
    int signal = 0;          // the signal that ended it, 0 if it exited
    bool timed_out = false;  // the deadline passed; the group was ended (TERM, grace, KILL)
    bool cancelled = false;  // Cancel fired; the group was ended
    std::string stopped;     // why ProcessSpec::watchdog ended the group ("" if it did not)
    std::string out;
    std::string err;

    bool success() const {
        return !timed_out && !cancelled && stopped.empty() && signal == 0 && exit_code == 0;
    }
    // "exited with 1", "killed by SIGKILL", "timed out", "cancelled", "stopped: <why>"
    std::string describe() const;
};

class ProcessRunner {
  public:
    virtual ~ProcessRunner() = default;
    // Runs to completion, the deadline, or cancellation. An error only when the process could
    // not be started at all (e.g. the executable is missing: message names it).
    virtual util::Result<ProcessOutcome> run(const ProcessSpec& spec, MonoTime deadline,
                                             const Cancel& cancel) = 0;
};

// Finds an executable: PATH first, then /usr/bin, /usr/local/bin (the agent's PATH may lack
// them). Returns an empty string when not found.
std::string find_executable(const std::string& name);

}  // namespace stagehand::os
