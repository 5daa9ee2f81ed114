#include "runtime/boot.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/load/cross_check.hpp"
#include "core/load/units.hpp"
#include "core/model/diagnostic.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/process/posix_runner.hpp"
#include "runtime/boot_install.hpp"
#include "runtime/boot_state.hpp"
#include "runtime/boot_unit.hpp"
#include "runtime/gated_start.hpp"
#include "runtime/hook.hpp"
#include "runtime/input_files.hpp"
#include "runtime/plan_print.hpp"
#include "runtime/run_state.hpp"
#include "runtime/signals.hpp"
#include "stagehand/version.hpp"
#include "steps/start/container_starter.hpp"
#include "util/text.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

using Mode = Options::BootMode;

// The stop mode waits this long for a deployment holding the host lock, then stops anyway:
// the host is shutting down whatever that deployment does.
constexpr std::chrono::seconds k_stop_lock_wait{20};
// The stop --boot makes itself after a SIGTERM: well within the unit's TimeoutStopSec=5min.
constexpr std::chrono::minutes k_stop_after_sigterm{4};

const char* mode_name(Mode mode) {
    return mode == Mode::boot_stop ? "boot-stop" : "boot";
}

struct BootProject {
    std::string name;
    core::BootEntry entry;
    Inputs inputs;
};

// A project's inputs from the copies after-install made. Throws core::InputError.
Inputs load_recorded_inputs(const std::string& state_dir, const std::string& project,
                            const core::BootEntry& entry) {
    Inputs inputs;
    const std::string copies = boot_copies_dir(state_dir, project);
    inputs.bundle.root = entry.bundle;
    inputs.bundle.executable = "after-install";
    if (fs::exists(copies + "/stagehand.yml")) {
        inputs.config = load_config_file(copies + "/stagehand.yml");
        inputs.config_found = true;
    }
    inputs.config.state_dir = state_dir;  // where the record is, whatever the copy says
    inputs.compose = load_compose_file(copies + "/compose.yml");
    core::check_config_against_compose(inputs.config, inputs.compose);
    inputs.project = project;
    inputs.project_source = "the boot record";
    return inputs;
}

std::string without_ok(const std::string& verdict) {
    return verdict.rfind("OK: ", 0) == 0 ? verdict.substr(4) : verdict;
}

HookOutcome boot_project(HookEnv& env, const core::BootEntry& entry, os::EngineDocker& docker) {
    const auto& inputs = env.inputs;
    const auto profiles = read_profiles(inputs.config.state_dir, inputs.project, env.log);
    const auto plan = core::plan_start(inputs.config, inputs.compose, profiles, core::Selection{});
    env.log.info("", "boot: starting project " + inputs.project + " as deployment " +
                         entry.deployment_id + " left it (" + entry.time + "), gate " +
                         core::to_string(plan.gate));
    os::PosixProcessRunner runner(k_child_grace);
    steps::ContainerStarter starter(docker, inputs.project);
    steps::Context context{env.clock, env.cancel, env.deadline, env.log, runner, &docker, &starter};
    HookOutcome outcome;
    outcome.report["boot"] = {{"deployment_id", entry.deployment_id},
                              {"recorded", entry.time},
                              {"compose_file", entry.compose_file},
                              {"start_order", entry.start_order}};
    // A stack removed by hand since (compose down) stays removed: nothing to bring back.
    if (auto containers = docker.list_containers(inputs.project, env.deadline, env.cancel);
        containers && containers->empty()) {
        env.log.warn("", "project " + inputs.project + " has no containers (removed since " +
                             "deployment " + entry.deployment_id + "): nothing to start");
        outcome.report["boot"]["skipped"] = "no containers";
        outcome.verdict = "OK: no containers (removed since " + entry.deployment_id + ")";
        return outcome;
    }
    warn_boot_policies(inputs.compose, env.log);
    auto started = run_gated_start(env, plan, context, docker, outcome);
    if (!started) {
        outcome.code = ExitCode::step_failed;
        outcome.verdict = "FAILED: " + started.error().message;
    }
    return outcome;
}

// Services in reverse start order; any the record does not list (added by hand) first.
std::vector<std::string> stop_order(const BootProject& project) {
    std::vector<std::string> order;
    for (auto it = project.inputs.compose.services.rbegin();
         it != project.inputs.compose.services.rend(); ++it) {
        const auto& started = project.entry.start_order;
        if (std::find(started.begin(), started.end(), it->name) == started.end()) {
            order.push_back(it->name);
        }
    }
    order.insert(order.end(), project.entry.start_order.rbegin(), project.entry.start_order.rend());
    return order;
}

HookOutcome stop_project(HookEnv& env, const BootProject& project, os::Docker& docker) {
    auto containers = docker.list_containers(project.name, env.deadline, env.cancel);
    if (!containers) {
        return HookOutcome{ExitCode::step_failed, {}, "FAILED: " + containers.error().message, {}};
    }
    int stopped = 0;
    std::string failures;
    for (const auto& service : stop_order(project)) {
        for (const auto& container : *containers) {
            if (container.service != service || !(container.running || container.restarting)) {
                continue;
            }
            env.log.info(service, "stopping (reverse start order)");
            if (auto done = docker.stop_container(container.id, env.deadline, env.cancel); !done) {
                env.log.error(service, done.error().message);
                failures += (failures.empty() ? "" : "; ") + done.error().message;
            } else {
                ++stopped;
            }
        }
    }
    const std::string what = "stopped " + std::to_string(stopped) + " container" +
                             (stopped == 1 ? "" : "s") + " in reverse start order";
    if (!failures.empty()) {
        return HookOutcome{ExitCode::step_failed, {}, "FAILED: " + what + ", " + failures, {}};
    }
    return HookOutcome{ExitCode::success, {}, "OK: " + what, {}};
}

// Loads every recorded project (boot order; reversed for the stop). A project whose copies
// do not load is reported and skipped: the others still come up.
std::vector<BootProject> load_projects(const core::BootRecord& record, const std::string& state_dir,
                                       Mode mode, Logger& log, bool& failed) {
    auto names = core::boot_order(record);
    if (mode == Mode::boot_stop) {
        std::reverse(names.begin(), names.end());
    }
    std::vector<BootProject> projects;
    for (const auto& name : names) {
        const auto& entry = record.projects.at(name);
        try {
            projects.push_back({name, entry, load_recorded_inputs(state_dir, name, entry)});
            for (const auto& secret : projects.back().inputs.compose.secret_values) {
                log.add_secret(secret);
            }
        } catch (const core::InputError& error) {
            log.error("", "project " + name + ": its recorded inputs in " +
                              boot_copies_dir(state_dir, name) +
                              " are invalid: " + util::first_line(error.diagnostic().format()));
            failed = true;
        }
    }
    return projects;
}

void open_boot_log(Logger& log, const std::vector<BootProject>& projects, const std::string& id) {
    const std::string dir = projects.empty() ? std::string("/var/log/stagehand")
                                             : projects.back().inputs.config.log_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    std::string error;
    if (ec || !log.open_file(dir + "/" + id + ".log", error)) {
        log.warn("", (ec ? "cannot create log folder " + dir + ": " + ec.message() : error) +
                         " (continuing without a log file)");
    }
}

struct BootRun {
    const Options& options;
    Mode mode;
    std::string state_dir;
    std::string id;
    Logger& log;
};

// The host lock: a boot waits lock_timeout for a deployment that holds it (then exits 3), a
// stop at most k_stop_lock_wait and then goes on. nullopt: go on; else the exit status.
std::optional<int> take_lock(const BootRun& run, const core::Config& config, os::Clock& clock,
                             const os::Cancel& cancel, os::MonoTime deadline,
                             std::optional<os::HostLock>& held) {
    RunState state(run.state_dir, mode_name(run.mode), "", run.id);
    if (auto prepared = state.prepare(); !prepared) {
        run.log.verdict("FAILED: " + prepared.error().message);
        return to_int(ExitCode::step_failed);
    }
    const auto wait = run.mode == Mode::boot_stop
                          ? std::chrono::duration_cast<core::Millis>(k_stop_lock_wait)
                          : config.lock_timeout;
    auto lock = state.lock(std::min(deadline, clock.now() + wait), cancel, run.log);
    if (lock) {
        held.emplace(std::move(lock).value());
        state.tidy(run.log);
        return std::nullopt;
    }
    if (run.mode == Mode::boot) {
        run.log.verdict("FAILED: boot: " + lock.error().message);
        return to_int(cancel.fired() ? exit_code_for(Ending::interrupted, cancel.reason())
                                     : ExitCode::locked);
    }
    run.log.warn("", lock.error().message + "; stopping anyway (the host is shutting down)");
    return std::nullopt;
}

// One project: boot (and its report) or stop; the summary lines printed.
HookOutcome run_project(const BootRun& run, HookEnv& env, const BootProject& project,
                        os::EngineDocker& docker) {
    HookOutcome outcome = run.mode == Mode::boot ? boot_project(env, project.entry, docker)
                                                 : stop_project(env, project, docker);
    if (run.mode == Mode::boot) {
        RunState report(run.state_dir, "boot", project.name, env.deployment_id);
        if (auto written = report.write_report(outcome.report, outcome.code, project.entry.bundle,
                                               env.clock.wall_now(), run.log);
            !written) {
            run.log.warn("", "could not write the boot report: " + written.error().message);
        }
    }
    for (const auto& line : outcome.summary) {
        run.log.summary(line);
    }
    return outcome;
}

HookEnv project_env(const BootRun& run, const BootProject& project, os::Clock& clock,
                    const os::Cancel& cancel, os::MonoTime started, os::MonoTime deadline,
                    const core::DeadlineChoice& choice) {
    return HookEnv{run.options, project.inputs, run.log,
                   clock,       cancel,         started,
                   deadline,    choice,         run.id + "-" + project.name};
}

// systemd runs no ExecStop for a unit that has not finished starting (systemd.service(5):
// ExecStop= runs "only ... when the service started successfully first"; systemd 252-257):
// a shutdown or `systemctl stop` during the boot is a SIGTERM to --boot, and SIGKILL
// TimeoutStopSec later. So --boot makes that stop itself, as --boot-stop would (every
// recorded project, newest first, each in reverse start order), with a Cancel of its own:
// the run's has fired.
std::string stop_after_sigterm(const BootRun& run, const std::vector<BootProject>& projects,
                               os::Clock& clock, const core::DeadlineChoice& choice,
                               os::EngineDocker& docker) {
    run.log.warn("",
                 "SIGTERM while starting: stopping the recorded projects in reverse start "
                 "order, as --boot-stop does (systemd runs no ExecStop for a unit that is "
                 "still starting)");
    const os::Cancel own;
    const auto started = clock.now();
    std::string verdicts;
    for (auto it = projects.rbegin(); it != projects.rend(); ++it) {
        HookEnv env =
            project_env(run, *it, clock, own, started, started + k_stop_after_sigterm, choice);
        verdicts +=
            "; then " + it->name + ": " + without_ok(stop_project(env, *it, docker).verdict);
    }
    return verdicts;
}

int run_projects(const BootRun& run, const std::vector<BootProject>& projects, bool failed) {
    os::SystemClock clock;
    os::Cancel cancel;
    const auto choice = core::choose_deadline(run.options.deadline, nullptr, "", "");
    const auto started = clock.now();
    SignalWatcher watcher(cancel, started + choice.budget);
    auto docker = os::make_engine_docker(std::getenv("DOCKER_HOST"));
    if (!docker) {
        run.log.verdict("FAILED: " + std::string(mode_name(run.mode)) + ": " +
                        docker.error().message);
        return to_int(ExitCode::step_failed);
    }
    report_docker_waits(**docker, run.log);
    std::optional<os::HostLock> lock;
    if (auto stop = take_lock(run, projects.front().inputs.config, clock, cancel,
                              started + choice.budget, lock)) {
        return *stop;
    }
    ExitCode code = failed ? ExitCode::step_failed : ExitCode::success;
    std::string verdicts;
    for (const auto& project : projects) {
        HookEnv env =
            project_env(run, project, clock, cancel, started, started + choice.budget, choice);
        const auto outcome = run_project(run, env, project, **docker);
        if (outcome.code != ExitCode::success && code == ExitCode::success) {
            code = outcome.code;
        }
        verdicts +=
            (verdicts.empty() ? "" : "; ") + project.name + ": " + without_ok(outcome.verdict);
        if (cancel.fired()) {
            break;
        }
    }
    if (run.mode == Mode::boot && cancel.reason() == os::CancelReason::sigterm) {
        verdicts += stop_after_sigterm(run, projects, clock, choice, **docker);
    }
    run.log.verdict((code == ExitCode::success ? "OK: " : "FAILED: ") +
                    std::string(mode_name(run.mode)) + ": " + verdicts);
    return to_int(code);
}

}  // namespace

int run_boot_mode(const Options& options, const std::string& program) {
    Logger log(logger_options_for(options));
    if (options.boot == Mode::install_unit) {
        return run_install_boot_unit(options, log);
    }
    const Mode mode = options.boot;
    const std::string state_dir = options.state_dir.value_or(k_default_state_dir);
    auto record = read_boot_record(
        state_dir, log, options.dry_run ? os::OnDamage::leave_in_place : os::OnDamage::set_aside);
    if (!record) {
        log.verdict("FAILED: " + std::string(mode_name(mode)) + ": " + record.error().message);
        return to_int(ExitCode::step_failed);
    }
    if (!*record || (*record)->projects.empty()) {
        log.verdict("OK: " + std::string(mode_name(mode)) + ": nothing recorded in " +
                    boot_record_path(state_dir) +
                    " (no deployment has succeeded on this host yet): nothing to " +
                    (mode == Mode::boot ? "start" : "stop"));
        return 0;
    }
    bool failed = false;
    auto projects = load_projects(**record, state_dir, mode, log, failed);
    BootRun run{options, mode, state_dir, timestamped_run_id(mode_name(mode)), log};
    if (options.dry_run) {
        for (const auto& project : projects) {
            log.info("", std::string(mode_name(mode)) + " would " +
                             (mode == Mode::boot ? "start" : "stop") + " project " + project.name +
                             " as deployment " + project.entry.deployment_id + " left it");
            warn_boot_policies(project.inputs.compose, log);
        }
        log.verdict(std::string(failed ? "FAILED: " : "OK: ") + mode_name(mode) +
                    " --dry-run: " + std::to_string(projects.size()) + " of " +
                    std::to_string((*record)->projects.size()) +
                    " recorded projects load, nothing was changed");
        return failed ? to_int(ExitCode::bad_input) : 0;
    }
    if (projects.empty()) {
        log.verdict("FAILED: " + std::string(mode_name(mode)) + ": no recorded project loads");
        return to_int(ExitCode::bad_input);
    }
    open_boot_log(log, projects, run.id);
    log.info("", program + " " + k_version + " " + mode_name(mode) + ": " +
                     std::to_string(projects.size()) + " recorded project" +
                     (projects.size() == 1 ? "" : "s") + " in " + state_dir);
    return run_projects(run, projects, failed);
}

}  // namespace stagehand::runtime
