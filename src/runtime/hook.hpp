#pragma once
// What the three executables share: parse options, load and validate every input, take the
// host lock, run the hook's body under one deadline, end with the summary and verdict, write
// the report and the log file, and map the result to an exit code (SPEC section 2).

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plan/deadline.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "runtime/cli.hpp"
#include "runtime/exit_codes.hpp"
#include "runtime/inputs.hpp"
#include "runtime/logger.hpp"

#include "os/docker/cli_compose.hpp"

namespace stagehand::os {
class EngineDocker;
}

namespace stagehand::runtime {

// What a hook body gets to work with.
struct HookEnv {
    const Options& options;
    const Inputs& inputs;
    Logger& log;
    os::Clock& clock;
    const os::Cancel& cancel;
    os::MonoTime started;
    os::MonoTime deadline;
    core::DeadlineChoice deadline_choice;
    std::string deployment_id;  // DEPLOYMENT_ID, or manual-<timestamp>
};

struct HookOutcome {
    ExitCode code = ExitCode::success;
    std::vector<std::string> summary;  // the timing table, printed before the verdict
    std::string verdict;               // the run's last line
    nlohmann::json report;             // this hook's part of the deployment report
};

// A check of the host that could not be made (a folder unreadable, a stat failing): not bad
// input but a failed step (exit 1). Nothing was changed when a preflight throws it.
class HostCheckError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Between the SIGTERM and the SIGKILL stagehand gives a child (compose, a probe command) when
// the run is cancelled. Under appspec `runas` su SIGKILLs the hook 2 s after the agent's
// SIGTERM (util-linux su 2.38, agent 1.8.1), and the verdict and the report must be written
// before that: a child ignoring SIGTERM held them back for the runner's default 2 s.
constexpr std::chrono::milliseconds k_child_grace{500};

struct HookDefinition {
    std::string program;  // "after-install"
    HookOptions accepted;
    // --dry-run: print the plan (validated already), change nothing.
    std::function<void(HookEnv&)> dry_run;
    std::function<HookOutcome(HookEnv&)> run;
    // Host-dependent input checks (e.g. staging safety rules) run before anything is written,
    // not even the log file or the lock; throws core::InputError (exit 2), or HostCheckError
    // (exit 1) when the host could not be examined. May be empty.
    std::function<void(HookEnv&)> preflight = nullptr;
    // after-install's boot modes (--boot, --boot-stop, --install-boot-unit): they read no
    // bundle, so they run instead of everything above, right after the options are parsed.
    std::function<int(const Options&, const std::string& program)> boot_mode = nullptr;
};

int run_hook(int argc, char** argv, const HookDefinition& definition);

// Progress while a Docker call waits on a silent daemon ("waiting for the Docker daemon at
// /var/run/docker.sock to answer GET /containers/json (6s)"), throttled like every wait: a
// frozen daemon must not silence the run (issue 13). `log` must outlive `docker`'s calls.
void report_docker_waits(os::EngineDocker& docker, util::Log& log);

// Watches each compose child: a progress line while one runs longer than 2 s ("waiting for
// docker compose up -d --no-deps s3 (7s)"), and from 10 s on a ping every 5 s; a daemon that
// does not answer it ends the child with k_daemon_unresponsive (compose itself would wait on
// a frozen daemon until our deadline). The references must outlive the compose object.
os::ComposeWatchdog watch_compose(os::Docker& docker, util::Log& log, const os::Cancel& cancel);

// "interrupted (SIGTERM)", "interrupted (SIGINT)", "deadline passed": what the verdict of a run
// that `reason` ended says.
std::string interruption_text(os::CancelReason reason);

// A hook body cut short by SIGTERM, SIGINT or the deadline while `doing` something ("checking
// compose"): exit 143 / 130 / 124 and "FAILED: interrupted (SIGTERM) while <doing>". A step
// that SIGTERM ended fails with "cancelled"; the interruption, not that step, is the cause.
HookOutcome interrupted_outcome(os::CancelReason reason, const std::string& doing);

}  // namespace stagehand::runtime
