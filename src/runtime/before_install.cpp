#include "runtime/before_install.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/model/diagnostic.hpp"
#include "os/docker/cli_compose.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/fs/filesystem.hpp"
#include "os/process/posix_runner.hpp"
#include "runtime/plan_print.hpp"
#include "runtime/revisions_state.hpp"
#include "steps/stage/stage_step.hpp"

namespace stagehand::runtime {

namespace {

steps::StageInputs stage_inputs(const HookEnv& env) {
    const auto& inputs = env.inputs;
    steps::StageInputs in;
    in.stage = inputs.config.stage;
    in.state_dir = inputs.config.state_dir;
    in.log_dir = inputs.config.log_dir;
    in.config_path = inputs.config_found ? inputs.config.path : "";
    in.bundle_dir = inputs.bundle.root;
    in.project = inputs.project;
    in.start_order = core::start_order(inputs.compose, inputs.config.startup);
    for (const auto& service : inputs.compose.services) {
        if (!service.image.empty()) {
            in.images.push_back(service.image);
        }
    }
    in.deployment_id = env.deployment_id;
    in.as_root = ::geteuid() == 0;
    in.uid = ::geteuid();
    in.gid = ::getegid();
    return in;
}

// Validation needs no Docker: a context without it.
struct NoRunner final : os::ProcessRunner {
    util::Result<os::ProcessOutcome> run(const os::ProcessSpec&, os::MonoTime,
                                         const os::Cancel&) override {
        return util::Error{"no processes during validation"};
    }
};

core::StagePlan validated_plan(HookEnv& env, steps::StageStep& step) {
    auto validation = step.validate();
    if (!validation) {
        // The host could not be examined (not a rule the input broke): a failed step.
        throw HostCheckError("cannot examine the host for staging: " + validation.error().message);
    }
    if (!validation->ok()) {
        // The first problem decides the exit; the others go to the log so one run shows all.
        for (std::size_t i = 1; i < validation->problems.size(); ++i) {
            env.log.error("", validation->problems[i].format());
        }
        throw core::InputError(validation->problems.front());
    }
    return validation->plan;
}

}  // namespace

void preflight_before_install(HookEnv& env) {
    os::PosixFileSystem fs;
    NoRunner runner;
    steps::Context context{env.clock, env.cancel, env.deadline, env.log, runner, nullptr, nullptr};
    steps::StageStep step(context, fs, stage_inputs(env));
    validated_plan(env, step);
}

void plan_before_install(HookEnv& env) {
    os::PosixFileSystem fs;
    NoRunner runner;
    steps::Context context{env.clock, env.cancel, env.deadline, env.log, runner, nullptr, nullptr};
    steps::StageStep step(context, fs, stage_inputs(env));
    const auto plan = validated_plan(env, step);
    auto json = plan_header(env, "before-install");
    json["operations"] = step.describe_plan(plan);
    print_plan(env, json);
}

HookOutcome run_before_install(HookEnv& env) {
    const auto& config = env.inputs.config;
    os::PosixFileSystem fs;
    os::PosixProcessRunner runner(k_child_grace);
    std::unique_ptr<os::EngineDocker> docker;
    std::unique_ptr<os::Compose> compose;
    if (config.stage.stop || config.stage.prune_images) {
        auto made = os::make_engine_docker(std::getenv("DOCKER_HOST"));
        if (!made) {
            return HookOutcome{ExitCode::step_failed, {}, "FAILED: " + made.error().message, {}};
        }
        docker = std::move(*made);
        report_docker_waits(*docker, env.log);
        auto made_compose = os::make_compose(
            config.compose.command, env.inputs.project, env.inputs.compose.path, runner,
            env.deadline, env.cancel, watch_compose(*docker, env.log, env.cancel));
        if (!made_compose) {
            if (env.cancel.fired()) {
                return interrupted_outcome(env.cancel.reason(), "checking compose");
            }
            return HookOutcome{
                ExitCode::step_failed, {}, "FAILED: " + made_compose.error().message, {}};
        }
        compose = std::move(*made_compose);
    }
    steps::Context context{env.clock, env.cancel,   env.deadline, env.log,
                           runner,    docker.get(), compose.get()};
    auto in = stage_inputs(env);
    if (config.stage.prune_images) {
        in.keep_image_ids = core::kept_image_ids(read_revisions(config.state_dir, env.log),
                                                 env.inputs.project, config.pull.keep);
    }
    steps::StageStep step(context, fs, std::move(in));
    const auto plan = validated_plan(env, step);
    const auto outcome = step.run(plan);

    HookOutcome result;
    nlohmann::json ops = nlohmann::json::array();
    int done = 0;
    int skipped = 0;
    for (const auto& op : outcome.ops) {
        const char* status = op.status == steps::OpStatus::done      ? "done"
                             : op.status == steps::OpStatus::skipped ? "skipped"
                                                                     : "failed";
        ops.push_back({{"kind", op.kind},
                       {"target", op.target},
                       {"status", status},
                       {"detail", op.detail},
                       {"ms", op.took.count()}});
        done += op.status == steps::OpStatus::done ? 1 : 0;
        skipped += op.status == steps::OpStatus::skipped ? 1 : 0;
        if (op.status != steps::OpStatus::skipped || op.kind == "install") {
            char line[240];
            std::snprintf(line, sizeof line, "%-8s %-8s %6lldms  %.150s", op.kind.c_str(), status,
                          static_cast<long long>(op.took.count()), op.target.c_str());
            result.summary.push_back(line);
        }
    }
    result.report["stage"] = {{"operations", ops}, {"rolled_back", outcome.rolled_back}};
    if (outcome.status) {
        result.verdict = "OK: staged (" + std::to_string(done) + " done, " +
                         std::to_string(skipped) + " unchanged or skipped)";
        return result;
    }
    const int code = outcome.status.error().code;
    result.code = exit_code_for(ending_of_error(code), env.cancel.reason());
    // A step SIGTERM cut short (e.g. `compose stop`) fails with "cancelled": name the signal.
    const bool interrupted = code == ECANCELED || env.cancel.fired();
    result.verdict = "FAILED: before-install: " +
                     (interrupted ? interruption_text(env.cancel.reason()) + " while staging"
                                  : outcome.status.error().message) +
                     (outcome.rolled_back ? " (installed files were put back)" : "");
    return result;
}

}  // namespace stagehand::runtime
