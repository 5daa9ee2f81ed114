#pragma once
// The start sequence with the host's real adapters (memory, CPU, processes, probes, OOM
// counters): what after-install runs after its pull, and what `after-install --boot` runs on
// the recorded containers (SPEC sections 5 and 11). One home, so a boot goes through exactly
// the gate a deployment does.

#include "os/docker/engine_docker.hpp"
#include "runtime/hook.hpp"
#include "steps/context.hpp"
#include "steps/start/start_record.hpp"

namespace stagehand::runtime {

// Runs steps::run_start over `plan`, then fills `outcome`: report["start"], the timing table
// and diagnosis as the summary, the verdict, and the exit code of a failed or interrupted
// start. Error: the memory source could not be opened (nothing was started).
util::Result<steps::StartResult> run_gated_start(HookEnv& env, const core::StartPlan& plan,
                                                 steps::Context& context, os::EngineDocker& docker,
                                                 HookOutcome& outcome);

}  // namespace stagehand::runtime
