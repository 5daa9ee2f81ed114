#pragma once
// What a failed or interrupted start says beyond its verdict (SPEC section 5, "Failure"):
// the failed container's exit, its probe and its last log lines; who holds the memory a
// pending service waited for; which service a signal cut short. The start loop decides that
// the start failed; these only word it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gate/snapshot.hpp"
#include "core/plan/plan.hpp"
#include "os/docker/docker.hpp"
#include "os/memory/memory.hpp"
#include "os/sys/cancel.hpp"
#include "steps/start/start_record.hpp"

namespace stagehand::steps {

// "12 attempts, last: connect to 127.0.0.1:9092: Connection refused"
std::string probe_attempts_text(const ServiceRecord& record);

// The failed container: its exit, Docker's and the kernel's word on an OOM kill, its peak,
// its ready probe's last error and (from Docker, bounded by `until`) its last log lines,
// each sanitised.
std::vector<std::string> container_diagnosis(const std::string& name,
                                             const core::ServiceState& state,
                                             const os::ContainerState& container,
                                             const ServiceRecord& record, os::Docker& docker,
                                             os::MonoTime until, const os::Cancel& cancel);

// A service that never started: the largest containers of the stack and processes of the host.
std::vector<std::string> memory_diagnosis(const core::StartPlan& plan,
                                          const core::Snapshot& snapshot,
                                          os::ProcessTable& processes);

// The kernel's OOM kills since the start began put before a failure of Docker's own.
std::string oom_kills_first(std::int64_t kills, std::optional<core::Bytes> lowest_available,
                            const std::string& message);

// " (while the host was short of memory: lowest sampled available 61 MiB of 965 MiB, memory
// pressure some avg10 42.0%)" when under a tenth of `total` was left or memory pressure was
// high; "" otherwise. Put after a failure of Docker's own that no OOM kill explains (yet).
std::string memory_shortage_note(std::optional<core::Bytes> lowest_available, core::Bytes total,
                                 std::optional<double> psi_some_avg10);

struct Interruption {
    std::string service;  // the one awaited or cut short ("" when none)
    std::string verdict;
    std::vector<std::string> diagnosis;
};
// After SIGTERM/SIGINT/the deadline: names what was awaited, the services still starting
// (with their last probe error) when there are any, the start a signal cut short, else the
// gate's own wait.
Interruption describe_interruption(os::CancelReason reason, const core::StartPlan& plan,
                                   const core::Snapshot& snapshot,
                                   const std::vector<ServiceRecord>& records,
                                   std::optional<std::size_t> cut_short);

}  // namespace stagehand::steps
