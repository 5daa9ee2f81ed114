#pragma once
// after-install's start sequence (SPEC section 5): a thin loop that samples, calls the pure
// gate (core::advance / core::decide), acts, and records what happened.

#include <functional>
#include <string>
#include <vector>

#include "core/plan/plan.hpp"
#include "os/docker/docker.hpp"
#include "os/memory/memory.hpp"
#include "os/memory/oom_counters.hpp"
#include "steps/context.hpp"
#include "steps/start/start_record.hpp"

namespace stagehand::steps {

// One attempt of a service's ready probe: true when it passed; `error` says why not.
// `containers`: the watch's current state of the planned services' containers, which a probe
// resolves service names from (no Docker call per attempt).
using ReadyProbe =
    std::function<bool(const core::ServicePlan&, const std::vector<os::ContainerState>& containers,
                       std::string& error)>;

struct StartHost {
    os::Docker& docker;
    os::Compose& compose;
    os::MemoryReader& memory;
    os::ContainerMemory& container_memory;
    os::CpuReader& cpu;  // host or cgroup CPU, for concurrency auto
    os::ProcessTable& processes;
    ReadyProbe probe;
    os::OomCounterReader* oom_counters = nullptr;  // null: Docker's OOMKilled flag decides
};

StartResult run_start(const core::StartPlan& plan, const std::string& project, Context& context,
                      StartHost& host);

}  // namespace stagehand::steps
