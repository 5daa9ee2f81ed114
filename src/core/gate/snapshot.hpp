#pragma once
// What the start loop knows at one instant: the time, memory, and each planned service's
// phase and container facts. The gate decides on nothing else.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/types.hpp"
#include "core/oom/oom_kill.hpp"

namespace stagehand::core {

enum class Phase {
    pending,    // not started yet
    starting,   // started, not ready yet
    ready,      // its ready signal passed
    completed,  // a one-shot service that exited 0
    gave_up,    // not ready within its timeout, on_timeout: proceed
};

const char* to_string(Phase phase);

struct MemorySample {
    Millis at{0};
    Bytes bytes = 0;
};

// A cgroup's cumulative CPU time at one instant.
struct CpuUse {
    Millis at{0};
    std::uint64_t used_ns = 0;
};

struct ServiceState {
    Phase phase = Phase::pending;
    Millis started_at{-1};     // when it was started (phase left pending)
    Millis ready_at{-1};       // when it stopped starting
    Millis waiting_since{-1};  // when the gate first made it wait (set by the loop)
    // Container facts (from Docker's events and inspect).
    bool exists = false;
    bool running = false;
    bool restarting = false;
    bool exited = false;
    int exit_code = 0;
    OomVerdict oom;      // what killed it when it died by SIGKILL (core/oom), kept once an OOM kill
    std::string health;  // "", starting, healthy, unhealthy
    bool probe_passed = false;  // the ready probe passed at the latest attempt
    // Memory of the container's cgroup, newest last; kept for the settle window.
    std::deque<MemorySample> memory;
    Bytes peak = 0;  // the cgroup's high-water mark from the kernel, else the largest sample
    // Memory its container already held when the run began (a redeploy): compose stops that
    // container before starting the new one, so the service needs only its need minus this.
    Bytes held = 0;
    // Kernel facts for inferred readiness (SPEC section 5), read while it is starting.
    // nullopt: the ports could not be read (readiness then rests on CPU and memory).
    std::optional<std::vector<std::uint16_t>> listening;
    std::deque<CpuUse> cpu;    // the container cgroup's CPU time, newest last
    bool cpu_unknown = false;  // its CPU time could not be read: memory settled stands in

    Bytes current_memory() const { return memory.empty() ? 0 : memory.back().bytes; }
    bool oom_killed() const { return is_oom_kill(oom.kind); }
};

struct Snapshot {
    Millis now{0};  // since the start of the run
    Bytes total = 0;
    Bytes available = 0;
    std::optional<double> psi_some_avg10;
    std::vector<ServiceState> services;            // parallel to StartPlan::services
    std::map<std::string, bool> external_running;  // StartPlan::external_dependencies
    Millis last_start{-1};                         // when the latest service was started
    // Idle CPU capacity (in CPUs) of the host or CPU-limited cgroup over the window that began
    // at cpu_idle_since (about the last second); nullopt when it cannot be read.
    std::optional<double> cpu_idle;
    Millis cpu_idle_since{-1};
};

}  // namespace stagehand::core
