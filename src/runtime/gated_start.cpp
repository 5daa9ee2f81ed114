#include "runtime/gated_start.hpp"

#include "os/memory/factory.hpp"
#include "os/memory/oom_counters.hpp"
#include "os/memory/readers.hpp"
#include "os/net/resolver.hpp"
#include "os/sys/proctable.hpp"
#include "steps/probe/probe_runner.hpp"
#include "steps/start/start_report.hpp"
#include "steps/start/start_sequence.hpp"

namespace stagehand::runtime {

util::Result<steps::StartResult> run_gated_start(HookEnv& env, const core::StartPlan& plan,
                                                 steps::Context& context, os::EngineDocker& docker,
                                                 HookOutcome& outcome) {
    const auto& inputs = env.inputs;
    auto source = os::detect_memory_source(inputs.config.startup.memory_source);
    if (!source) {
        return source.error();
    }
    env.log.info("", "memory source: " + source->reason);
    auto memory = os::make_memory_reader(*source);
    auto cpu = os::make_cpu_reader(*source);
    os::CgroupContainerMemory container_memory;
    os::Proc2ProcessTable processes;
    os::HostResolver resolver;
    std::vector<std::string> service_names;
    for (const auto& service : inputs.compose.services) {
        service_names.push_back(service.name);
    }
    steps::ProbeRunner probes(env.clock, docker, context.runner, resolver, inputs.project,
                              service_names);
    steps::StartHost host{
        docker,
        *context.compose,
        *memory,
        container_memory,
        *cpu,
        processes,
        [&](const core::ServicePlan& service, const std::vector<os::ContainerState>& containers,
            std::string& error) {
            auto attempt =
                probes.attempt(service.name, *service.ready, &containers, env.deadline, env.cancel);
            error = attempt.error;
            return attempt.passed;
        }};
    os::KernelOomCounters oom_counters;
    host.oom_counters = &oom_counters;
    const auto start_began = env.clock.now();
    auto result = steps::run_start(plan, inputs.project, context, host);

    outcome.report["start"] = steps::start_report_json(result);
    outcome.report["start"]["deadline_ms"] =
        std::chrono::duration_cast<core::Millis>(env.deadline - start_began).count();
    outcome.summary = steps::start_table(result);
    for (const auto& line : result.diagnosis) {
        outcome.summary.push_back(line);
    }
    outcome.verdict = steps::start_verdict(result);
    if (!result.ok) {
        outcome.code = exit_code_for(result.interrupted ? Ending::interrupted : Ending::failed,
                                     env.cancel.reason());
    }
    return result;
}

}  // namespace stagehand::runtime
