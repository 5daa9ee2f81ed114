#include "runtime/hook.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/load/units.hpp"
#include "core/model/diagnostic.hpp"
#include "os/docker/engine_docker.hpp"
#include "runtime/run_state.hpp"
#include "runtime/signals.hpp"
#include "stagehand/version.hpp"
#include "util/sanitize.hpp"
#include "util/text.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

// Whole-line writes to a descriptor that may be a closed pipe (EPIPE is not an error).
void print_to(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

std::string version_line(const std::string& program) {
    return program + " (stagehand) " + k_version + " commit " + k_git_commit + " " + k_build_type +
           " build\n";
}

struct Parsed {
    Options options;
    std::optional<int> exit_now;
};

Parsed parse(int argc, char** argv, const HookDefinition& definition) {
    Parsed parsed;
    try {
        parsed.options =
            parse_options(std::vector<std::string>(argv + 1, argv + argc), definition.accepted);
    } catch (const UsageError& error) {
        print_to(2, definition.program + ": " + util::sanitize_line(error.what(), 900) + "\n" +
                        usage(definition.program, definition.accepted));
        parsed.exit_now = to_int(ExitCode::bad_input);
        return parsed;
    }
    if (parsed.options.help) {
        print_to(1, usage(definition.program, definition.accepted));
        parsed.exit_now = to_int(ExitCode::success);
    } else if (parsed.options.version) {
        print_to(1, version_line(definition.program));
        parsed.exit_now = to_int(ExitCode::success);
    }
    return parsed;
}

int input_failure(const HookDefinition& definition, const core::InputError& error) {
    print_to(2, error.diagnostic().format() + "\n");
    // The verdict names the cause on its own line too: the caret lines above may be all the
    // agent's 2 KB tail has room for besides it.
    const std::string cause = util::first_line(error.diagnostic().format());
    print_to(2, "FAILED: " + definition.program +
                    ": invalid input, nothing was changed (exit 2): " +
                    util::sanitize_line(cause, 700) + "\n");
    return to_int(ExitCode::bad_input);
}

void end_with(Logger& log, const HookOutcome& outcome) {
    for (const auto& line : outcome.summary) {
        log.summary(line);
    }
    log.verdict(outcome.verdict);
}

HookOutcome run_body(const HookDefinition& definition, HookEnv& env) {
    try {
        return definition.run(env);
    } catch (const core::InputError& error) {
        // Input problems found late (e.g. a --from service that is not running yet).
        return HookOutcome{ExitCode::bad_input, {}, "FAILED: " + error.diagnostic().format(), {}};
    } catch (const HostCheckError& error) {
        return HookOutcome{ExitCode::step_failed, {}, std::string("FAILED: ") + error.what(), {}};
    } catch (const std::exception& error) {
        return HookOutcome{
            ExitCode::step_failed, {}, std::string("FAILED: internal error: ") + error.what(), {}};
    }
}

// A body that returned a step failure after SIGTERM / SIGINT / the deadline fired: some call
// it made was cut short and reported "cancelled". Exit with the interruption's code and say
// so first in the verdict (issue 13: such runs ended with exit 1 and a wrong cause).
void cancellation_wins(HookOutcome& outcome, os::CancelReason reason) {
    const ExitCode code = exit_code_for(Ending::interrupted, reason);
    if (outcome.code == ExitCode::step_failed) {
        const std::string text = interruption_text(reason);
        if (outcome.verdict.find(text) == std::string::npos) {
            const std::string prefix = "FAILED: ";
            std::string rest = outcome.verdict;
            if (rest.rfind(prefix, 0) == 0) {
                rest.erase(0, prefix.size());
            }
            outcome.verdict = prefix + text + (rest.empty() ? "" : ": " + rest);
        }
        outcome.code = code;
    } else if (outcome.code == ExitCode::success) {
        outcome.code = code;
    }
}

int run_locked(const HookDefinition& definition, HookEnv& env) {
    auto& log = env.log;
    RunState state(env.inputs.config.state_dir, definition.program, env.inputs.project,
                   env.deployment_id);
    if (auto prepared = state.prepare(); !prepared) {
        log.error("", prepared.error().message);
        log.verdict("FAILED: " + prepared.error().message);
        return to_int(ExitCode::step_failed);
    }
    const auto lock_deadline =
        std::min(env.deadline, env.clock.now() + env.inputs.config.lock_timeout);
    auto lock = state.lock(lock_deadline, env.cancel, log);
    if (!lock) {
        log.verdict("FAILED: " + lock.error().message);
        return to_int(env.cancel.fired() ? exit_code_for(Ending::interrupted, env.cancel.reason())
                                         : ExitCode::locked);
    }
    state.tidy(log);
    HookOutcome outcome = run_body(definition, env);
    if (env.cancel.fired()) {
        cancellation_wins(outcome, env.cancel.reason());
    }
    // The report first: a warning about it (state_dir full) must come before the verdict,
    // which is the last line the agent's 2 KB tail shows.
    if (auto written = state.write_report(outcome.report, outcome.code, env.inputs.bundle.root,
                                          env.clock.wall_now(), log);
        !written) {
        log.warn("", "could not write the deployment report: " + written.error().message);
    }
    end_with(log, outcome);
    return to_int(outcome.code);
}

void open_log_file(Logger& log, const Inputs& inputs, const std::string& deployment_id,
                   const std::string& program) {
    std::error_code ec;
    fs::create_directories(inputs.config.log_dir, ec);
    if (ec) {
        // Said as it is (a read-only parent is EROFS), not as the ENOENT open() would add.
        log.warn("", "cannot create log folder " + inputs.config.log_dir + ": " + ec.message() +
                         " (continuing without a log file)");
        return;
    }
    std::string error;
    if (!log.open_file(inputs.config.log_dir + "/" + safe_file_name(deployment_id) + ".log",
                       error)) {
        log.warn("", error + " (continuing without a log file)");
        return;
    }
    log.debug("", "log file " + log.file_path() + " for " + program);
}

}  // namespace

void report_docker_waits(os::EngineDocker& docker, util::Log& log) {
    const std::string socket = docker.socket_path();
    docker.set_wait_observer([&log, socket](std::string_view what,
                                            std::chrono::milliseconds silent) {
        log.progress("docker", "",
                     "waiting for the Docker daemon at " + socket + " to answer " +
                         std::string(what) + " (" + std::to_string(silent.count() / 1000) + "s)");
    });
}

os::ComposeWatchdog watch_compose(os::Docker& docker, util::Log& log, const os::Cancel& cancel) {
    using std::chrono::milliseconds;
    static constexpr milliseconds k_quiet{2000};         // a normal `up` is done by then
    static constexpr milliseconds k_check_after{10000};  // `up` may stop an old container first
    static constexpr milliseconds k_check_every{5000};
    auto last_check = std::make_shared<milliseconds>(0);
    return [&docker, &log, &cancel, last_check](const std::string& what,
                                                milliseconds running) -> util::Status {
        if (running < k_quiet) {
            return {};
        }
        log.progress("compose", "",
                     "waiting for " + what + " (" + std::to_string(running.count() / 1000) + "s)");
        if (running < k_check_after || running - *last_check < k_check_every) {
            return {};
        }
        *last_check = running;
        // The answer timeout bounds the ping; only a silent daemon ends compose (one that
        // answers is just slow, e.g. stopping a container with a long stop_grace_period).
        auto ping = docker.ping(std::chrono::steady_clock::now() + std::chrono::minutes(1), cancel);
        if (!ping && ping.error().code == os::k_daemon_unresponsive) {
            return util::Error{ping.error().message + " while `" + what + "` ran",
                               os::k_daemon_unresponsive};
        }
        return {};
    };
}

std::string interruption_text(os::CancelReason reason) {
    switch (reason) {
        case os::CancelReason::deadline:
            return "deadline passed";
        case os::CancelReason::sigint:
            return "interrupted (SIGINT)";
        case os::CancelReason::sigterm:
        case os::CancelReason::none:
            break;
    }
    return "interrupted (SIGTERM)";
}

HookOutcome interrupted_outcome(os::CancelReason reason, const std::string& doing) {
    return HookOutcome{exit_code_for(Ending::interrupted, reason),
                       {},
                       "FAILED: " + interruption_text(reason) + " while " + doing,
                       {}};
}

int run_hook(int argc, char** argv, const HookDefinition& definition) {
    block_termination_signals();
    auto parsed = parse(argc, argv, definition);
    if (parsed.exit_now) {
        return *parsed.exit_now;
    }
    const Options& options = parsed.options;
    if (options.boot != Options::BootMode::none && definition.boot_mode) {
        return definition.boot_mode(options, definition.program);
    }
    Logger log(logger_options_for(options));
    Inputs inputs;
    try {
        inputs = load_inputs(options);
    } catch (const core::InputError& error) {
        return input_failure(definition, error);
    }
    for (const auto& secret : inputs.compose.secret_values) {
        log.add_secret(secret);
    }
    os::SystemClock clock;
    os::Cancel cancel;
    const std::string event = env_or("LIFECYCLE_EVENT", "");
    const auto choice =
        core::choose_deadline(options.deadline, inputs.appspec ? &*inputs.appspec : nullptr, event,
                              inputs.bundle.executable);
    const auto started = clock.now();
    HookEnv env{options,
                inputs,
                log,
                clock,
                cancel,
                started,
                started + choice.budget,
                choice,
                env_or("DEPLOYMENT_ID", timestamped_run_id("manual"))};
    SignalWatcher watcher(cancel, env.deadline);
    try {
        if (definition.preflight) {
            definition.preflight(env);
        }
        if (options.dry_run) {
            definition.dry_run(env);
            return to_int(ExitCode::success);
        }
    } catch (const core::InputError& error) {
        return input_failure(definition, error);
    } catch (const HostCheckError& error) {
        print_to(2, "FAILED: " + definition.program + ": " +
                        util::sanitize_line(error.what(), 900) + " (nothing was changed)\n");
        return to_int(ExitCode::step_failed);
    }
    open_log_file(log, inputs, env.deployment_id, definition.program);
    log.info("", definition.program + " " + k_version + ": bundle " + inputs.bundle.root +
                     ", project " + inputs.project + ", deadline " +
                     core::format_duration(choice.budget) + " (" + choice.source + ")");
    if (!choice.warning.empty()) {
        log.warn("", choice.warning);
    }
    return run_locked(definition, env);
}

}  // namespace stagehand::runtime
