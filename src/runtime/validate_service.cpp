#include "runtime/validate_service.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/load/units.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/memory/oom_counters.hpp"
#include "os/net/resolver.hpp"
#include "os/process/posix_runner.hpp"
#include "runtime/plan_print.hpp"
#include "runtime/revisions_state.hpp"
#include "steps/probe/probe_runner.hpp"
#include "steps/validate/validate.hpp"

namespace stagehand::runtime {

namespace {

// The services validate-service covers: those after-install starts (the start order, or
// --only), with their healthcheck presence.
std::vector<steps::ValidatedService> covered_services(const HookEnv& env) {
    const auto& inputs = env.inputs;
    std::vector<steps::ValidatedService> services;
    for (const auto& name : core::start_order(inputs.compose, inputs.config.startup)) {
        const auto& only = env.options.only;
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
            continue;
        }
        const auto* service = inputs.compose.find(name);
        services.push_back({name, service != nullptr && service->has_healthcheck});
    }
    return services;
}

steps::ValidatePlan validate_plan(const HookEnv& env) {
    auto plan =
        steps::plan_validate(env.inputs.config.validate, env.inputs.project, covered_services(env));
    return plan;
}

nlohmann::json outcome_json(const steps::ValidateOutcome& outcome) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& check : outcome.checks) {
        checks.push_back({{"service", check.service},
                          {"check", check.description},
                          {"passed", check.passed},
                          {"failure", steps::to_string(check.failure)},
                          {"error", check.error},
                          {"elapsed_ms", check.elapsed.count()},
                          {"held_ms", check.held.count()},
                          {"attempts", check.attempts},
                          {"exit_code", check.container.exit_code},
                          {"oom_killed", check.container.oom_killed},
                          {"oom_kill", core::to_string(check.oom.kind)},
                          {"restarts", check.container.restart_count},
                          {"log_tail", check.log_tail}});
    }
    return {
        {"passed", outcome.passed}, {"elapsed_ms", outcome.elapsed.count()}, {"checks", checks}};
}

}  // namespace

void plan_validate_service(HookEnv& env) {
    const auto plan = validate_plan(env);
    auto json = plan_header(env, "validate-service");
    nlohmann::ordered_json checks = nlohmann::ordered_json::array();
    for (const auto& check : plan.checks) {
        checks.push_back({{"service", check.service},
                          {"check", core::describe(check.probe)},
                          {"default", check.default_check}});
    }
    json["validate"] = {{"timeout", core::format_duration(plan.timeout)},
                        {"interval", core::format_duration(plan.interval)},
                        {"stable", core::format_duration(plan.stable)},
                        {"checks", checks}};
    print_plan(env, json);
}

HookOutcome run_validate_service(HookEnv& env) {
    const auto& inputs = env.inputs;
    const auto plan = validate_plan(env);
    os::PosixProcessRunner runner(k_child_grace);
    auto docker = os::make_engine_docker(std::getenv("DOCKER_HOST"));
    if (!docker) {
        return HookOutcome{ExitCode::step_failed, {}, "FAILED: " + docker.error().message, {}};
    }
    report_docker_waits(**docker, env.log);
    if (auto ping = (*docker)->ping(env.deadline, env.cancel); !ping) {
        if (env.cancel.fired()) {
            return interrupted_outcome(env.cancel.reason(), "asking the Docker daemon");
        }
        return HookOutcome{ExitCode::step_failed, {}, "FAILED: " + ping.error().message, {}};
    }
    os::HostResolver resolver;
    std::vector<std::string> names;
    for (const auto& service : inputs.compose.services) {
        names.push_back(service.name);
    }
    steps::ProbeRunner prober(env.clock, **docker, runner, resolver, inputs.project, names);
    steps::Context context{env.clock, env.cancel,    env.deadline, env.log,
                           runner,    docker->get(), nullptr};
    os::KernelOomCounters oom_counters;
    const auto outcome = steps::run_validate(context, plan, prober, &oom_counters);

    HookOutcome result;
    result.report["validate"] = outcome_json(outcome);
    auto lines = steps::render_validate_summary(outcome);
    if (!lines.empty()) {
        result.verdict = lines.back();
        lines.pop_back();
    }
    result.summary = lines;
    const Ending ending = outcome.cancelled         ? Ending::interrupted
                          : outcome.deadline_passed ? Ending::timed_out
                          : outcome.passed          ? Ending::succeeded
                                                    : Ending::failed;
    result.code = exit_code_for(ending, env.cancel.reason());
    if (!outcome.cancelled) {
        mark_validation(env, outcome.passed && !outcome.deadline_passed);
    }
    return result;
}

}  // namespace stagehand::runtime
