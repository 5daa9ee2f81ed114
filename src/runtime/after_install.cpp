#include "runtime/after_install.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>

#include "core/boot/boot_record.hpp"
#include "core/load/units.hpp"
#include "core/report/svg.hpp"
#include "os/docker/cli_compose.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/fs/atomic_file.hpp"
#include "os/memory/factory.hpp"
#include "os/process/posix_runner.hpp"
#include "runtime/boot_state.hpp"
#include "runtime/gated_start.hpp"
#include "runtime/plan_print.hpp"
#include "runtime/revisions_state.hpp"
#include "runtime/run_state.hpp"
#include "steps/pull/pull.hpp"
#include "steps/start/start_report.hpp"

namespace stagehand::runtime {

namespace {

core::Selection selection_of(const Options& options) {
    return core::Selection{options.only, options.from};
}

std::vector<steps::PullImage> images_of(const core::StartPlan& plan) {
    std::vector<steps::PullImage> images;
    for (const auto& service : plan.services) {
        if (!service.image.empty()) {
            images.push_back({service.name, service.image});
        }
    }
    return images;
}

HookOutcome fail_with(const std::string& message, ExitCode code = ExitCode::step_failed) {
    return HookOutcome{code, {}, "FAILED: " + message, {}};
}

// A step before the start loop failed: when SIGTERM / the deadline cut it short, that is the
// cause ("cancelled" from Docker or compose is not).
HookOutcome fail_before_start(const HookEnv& env, const std::string& doing,
                              const std::string& message) {
    if (env.cancel.fired()) {
        return interrupted_outcome(env.cancel.reason(), doing + " (no service was touched)");
    }
    return fail_with(message);
}

// --from: the services before SERVICE in the start order must already be running.
std::string check_resume(const HookEnv& env, os::Docker& docker) {
    if (!env.options.from) {
        return "";
    }
    const auto order = core::start_order(env.inputs.compose, env.inputs.config.startup);
    auto containers = docker.project_containers(env.inputs.project, env.deadline, env.cancel);
    if (!containers) {
        return containers.error().message;
    }
    std::string missing;
    for (const auto& name : order) {
        if (name == *env.options.from) {
            break;
        }
        bool running = false;
        for (const auto& container : *containers) {
            running = running || (container.service == name && container.running);
        }
        if (!running) {
            missing += (missing.empty() ? "" : ", ") + name;
        }
    }
    return missing.empty() ? ""
                           : "--from " + *env.options.from +
                                 ": earlier services are not "
                                 "running: " +
                                 missing;
}

// --svg FILE: the report as a timeline picture, at FILE and next to the JSON report
// (reports/<id>.svg, the id made a safe file name as RunState does for the .json).
void write_report_svg(const HookEnv& env, const HookOutcome& outcome) {
    if (!env.options.svg) {
        return;
    }
    nlohmann::json hook = outcome.report;
    hook["verdict"] = outcome.verdict;
    hook["outcome"] = outcome.code == ExitCode::success ? "succeeded" : "failed";
    const nlohmann::json report = {{"deployment_id", env.deployment_id},
                                   {"project", env.inputs.project},
                                   {"hooks", {{"after-install", hook}}}};
    const std::string svg = core::render_report_svg(report);
    std::string id;
    for (const char c : env.deployment_id) {
        id += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    }
    for (const auto& path : {*env.options.svg, env.inputs.config.state_dir + "/reports/" +
                                                   (id.empty() ? "unknown" : id) + ".svg"}) {
        if (auto written = os::write_file_atomic(path, svg, 0644); !written) {
            env.log.warn("", "could not write the SVG report: " + written.error().message);
        }
    }
}

}  // namespace

void preflight_after_install(HookEnv& env) {
    check_memory_source(env.inputs.config);
}

void plan_after_install(HookEnv& env) {
    const auto profiles = read_profiles(env.inputs.config.state_dir, env.inputs.project, env.log,
                                        os::OnDamage::leave_in_place);
    const auto plan = core::plan_start(env.inputs.config, env.inputs.compose, profiles,
                                       selection_of(env.options));
    auto json = plan_header(env, "after-install");
    json.update(start_plan_json(plan, env.inputs.config.pull));
    // Which memory figures the gate will read, and why (auto picks a cgroup only when it
    // limits stagehand below MemTotal): the first thing to check when a service waits for
    // memory that the host seems to have.
    auto source = os::detect_memory_source(env.inputs.config.startup.memory_source);
    if (!source) {
        throw HostCheckError("cannot choose the memory source: " + source.error().message);
    }
    json["startup"]["memory_source"] = source->reason;
    json["rollback"] = rollback_plan_json(env, images_of(plan));
    print_plan(env, json);
    warn_boot_policies(env.inputs.compose, env.log);
}

HookOutcome run_after_install(HookEnv& env) {
    const auto& inputs = env.inputs;
    const auto profiles = read_profiles(inputs.config.state_dir, inputs.project, env.log);
    const auto plan =
        core::plan_start(inputs.config, inputs.compose, profiles, selection_of(env.options));

    os::PosixProcessRunner runner(k_child_grace);
    auto docker = os::make_engine_docker(std::getenv("DOCKER_HOST"));
    if (!docker) {
        return fail_with(docker.error().message);
    }
    report_docker_waits(**docker, env.log);
    if (auto ping = (*docker)->ping(env.deadline, env.cancel); !ping) {
        return fail_before_start(env, "asking the Docker daemon", ping.error().message);
    }
    auto compose =
        os::make_compose(inputs.config.compose.command, inputs.project, inputs.compose.path, runner,
                         env.deadline, env.cancel, watch_compose(**docker, env.log, env.cancel));
    if (!compose) {
        return fail_before_start(env, "checking compose", compose.error().message);
    }
    env.log.info("", "using " + (*compose)->describe() + ", gate " + core::to_string(plan.gate) +
                         ", concurrency " +
                         (plan.concurrency == core::k_concurrency_auto
                              ? "auto (max " + std::to_string(plan.max_concurrency) + ")"
                              : std::to_string(plan.concurrency)));
    warn_boot_policies(env.inputs.compose, env.log);
    if (auto resume = check_resume(env, **docker); !resume.empty()) {
        return fail_before_start(env, "checking --from", resume);
    }

    steps::Context context{env.clock, env.cancel,    env.deadline,  env.log,
                           runner,    docker->get(), compose->get()};
    HookOutcome outcome;
    const auto images = images_of(plan);
    const auto pulled = steps::run_pull(images, inputs.config.pull, context);
    outcome.report["pull"] = steps::pull_report_json(pulled);
    const std::string pin_failure =
        pulled.ok ? pin_for_rollback(env, context, images, outcome.report) : "";
    if (!pulled.ok || !pin_failure.empty()) {
        // Before any service is touched (SPEC: a missing image fails the hook first).
        const auto report = outcome.report;
        outcome =
            fail_before_start(env, "pulling images",
                              (pulled.ok ? "pin: " + pin_failure : "pull: " + pulled.failure) +
                                  " (no service was touched)");
        outcome.report = report;
        return outcome;
    }

    auto started = run_gated_start(env, plan, context, **docker, outcome);
    if (!started) {
        return fail_with(started.error().message);
    }
    const auto& result = *started;
    if (result.ok) {
        record_success(env, context, outcome.report);
        record_boot(env, result);
        if (auto saved = write_profiles(inputs.config.state_dir, inputs.project,
                                        steps::learned_profiles(result), env.log);
            !saved) {
            env.log.warn("", "could not save learned profiles: " + saved.error().message);
        }
    }
    write_report_svg(env, outcome);
    return outcome;
}

}  // namespace stagehand::runtime
