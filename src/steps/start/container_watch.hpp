#pragma once
// Keeps each planned service's container facts current from Docker's event stream: an event
// for a service triggers one inspect of its container (a local API call), instead of polling
// inspect for every service on every tick -- on a one-vCPU host that cost grows with the
// stack. Memory comes from the containers' cgroup files, which are cheap to read.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/gate/snapshot.hpp"
#include "core/plan/plan.hpp"
#include "os/docker/docker.hpp"
#include "os/memory/memory.hpp"
#include "os/memory/oom_counters.hpp"
#include "steps/context.hpp"
#include "steps/oom/oom_watch.hpp"

namespace stagehand::steps {

class ContainerWatch {
  public:
    // `oom_counters` null: no kernel OOM counters (Docker's OOMKilled flag decides).
    ContainerWatch(const core::StartPlan& plan, std::string project, Context& context,
                   os::Docker& docker, os::ContainerMemory& memory,
                   os::OomCounterReader* oom_counters = nullptr);

    // Subscribes to events and reads the current containers. Error: Docker unreachable.
    util::Status begin(core::Snapshot& snapshot);
    // fd to wait on for new events (-1 when the stream is gone).
    int event_fd() const;
    // Applies pending events (inspecting the containers they name). Returns the number of
    // OOM kills seen. Error when the event stream ended (the daemon went away).
    util::Result<int> apply_events(core::Snapshot& snapshot);
    // Checks every started service's container with one list call, inspecting only those
    // whose state moved: a safety net for an event the stream lost (e.g. across a daemon
    // hiccup) that costs one request however many services wait.
    util::Status refresh_all(core::Snapshot& snapshot);
    // Re-reads one service's container: the one `container_id` names (an event's, one
    // inspect), or with none the newest of the service's containers (list + inspects: after
    // starting it, or when the named one is gone).
    util::Status refresh(std::size_t service, core::Snapshot& snapshot,
                         const std::string& container_id = "");
    // The latest state of each planned service's container, by plan index (an empty id: none
    // seen yet). Ready probes resolve service names from it: it follows every start, restart
    // and recreate through the event stream, so it is as current as an inspect per attempt.
    const std::vector<os::ContainerState>& containers() const { return m_states; }
    // Adds a memory sample (and the kernel's peak) for every started service with a live
    // container that `due` picks, and refreshes the OOM counters of the running ones; for
    // those starting with inferred readiness also their CPU time and listening ports.
    void sample_containers(core::Snapshot& snapshot, const std::function<bool(std::size_t)>& due);
    const std::string& container_id(std::size_t service) const { return m_states[service].id; }
    // Container id the service had before this run (empty if none).
    const std::string& previous_id(std::size_t service) const { return m_previous_ids[service]; }
    bool was_running(std::size_t service) const { return m_was_running[service]; }
    // The lowest memory available of the last seconds' samples, as OOM verdicts quote it.
    std::optional<core::Bytes> lowest_available() const { return m_oom.lowest_available(); }
    // Memory the service's container uses now (0 when unknown).
    core::Bytes current_usage(std::size_t service);

  private:
    void apply_state(std::size_t service, const os::ContainerState& state,
                     core::Snapshot& snapshot);
    std::optional<std::size_t> index_of_service(const std::string& name) const;
    void sample_readiness(std::size_t service, core::ServiceState& facts, core::Millis now);

    const core::StartPlan& m_plan;
    std::string m_project;
    Context& m_context;
    os::Docker& m_docker;
    os::ContainerMemory& m_memory;
    std::unique_ptr<os::EventStream> m_events;
    std::vector<std::string> m_previous_ids;
    std::vector<bool> m_was_running;
    std::vector<os::ContainerState> m_states;
    OomWatch m_oom;
};

}  // namespace stagehand::steps
