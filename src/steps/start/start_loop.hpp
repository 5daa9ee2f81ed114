#pragma once
// The loop behind run_start (start_sequence.hpp; SPEC section 5), internal to steps/start: it
// samples memory, events, CPU and probes into a snapshot, asks the pure gate
// (core::advance / core::decide) and acts. start_loop.cpp senses and decides;
// start_loop_acts.cpp acts (starts, waits) and ends a run (failed, interrupted), with the
// words from start_diagnosis.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gate/cpu_window.hpp"
#include "core/gate/gate.hpp"
#include "core/gate/quiet_edge.hpp"
#include "steps/start/container_watch.hpp"
#include "steps/start/start_sequence.hpp"

namespace stagehand::steps {

class StartLoop {
  public:
    using Decision = core::Decision;
    using Millis = core::Millis;

    StartLoop(const core::StartPlan& plan, const std::string& project, Context& context,
              StartHost& host);

    StartResult run();

  private:
    // Starting services probed or sampled on the recheck interval (not inferred ones).
    std::size_t count_rechecked() const;

    Millis now() const;

    // Reads memory, events and probes into the snapshot; false when the run must stop.
    bool sample();

    // Idle CPU of the host (or CPU-limited cgroup), for concurrency auto.
    void sample_cpu();

    void run_probes();

    // Waits until `until` or a Docker event. Meanwhile, every k_edge_tick, reads the CPU time
    // of the services it watches for a quiet edge and ends the wait when one went quiet, so
    // that the next sample probes it.
    void wait_until(os::MonoTime until);
    // Starting with a ready probe, its container running, while the services starting are
    // few enough to be probed at every poll and a poll spans more than two edge ticks.
    bool watches_quiet_edge(std::size_t index) const;
    // Reads the watched services' CPU time; true when one went quiet.
    bool went_quiet();

    void note_transition(const core::Transition& transition);

    bool act(const Decision& decision);

    void close_wait(std::size_t index);

    // A service whose container already runs holds its memory now; if compose recreates it,
    // the old container stops first. The gate counts that toward its need (the plan stays
    // as the caller made it).
    void note_held_memory();

    // Until the next sample: `poll`, or k_quiet_tick while a quiet second or the CPU window
    // of concurrency auto is being timed (README "The start gate").
    Millis tick(const Decision& decision) const;

    bool start(const Decision& decision);
    void wait(const Decision& decision);
    void fail(const Decision& decision);
    void finish_records();
    StartResult failed(const std::string& service, const std::string& why);
    util::Status up_service(const std::string& name);
    std::optional<std::int64_t> host_oom_kills();
    std::string after_host_oom_kills(const std::string& message);
    StartResult interrupted();
    void add_diagnosis(std::vector<std::string> lines);

    const core::StartPlan& m_plan;
    Context& m_context;
    StartHost& m_host;
    ContainerWatch m_watch;
    os::MonoTime m_started;
    core::Snapshot m_snapshot;
    std::vector<Millis> m_last_probe;
    std::vector<Millis> m_last_sample;
    std::vector<core::QuietEdge> m_quiet_edges;
    std::vector<bool> m_probe_now;  // went quiet since its last probe
    Millis m_recheck_every{0};      // start_loop.cpp, recheck_interval
    Millis m_last_full_refresh{0};
    // The service whose `compose up` a signal (or the deadline) cut short.
    std::optional<std::size_t> m_cut_short;
    // /proc/vmstat oom_kill when the loop began (nullopt: no kernel counters).
    std::optional<std::int64_t> m_host_oom_at_start;
    core::CpuWindow m_cpu;
    bool m_cpu_unreadable = false;
    StartResult m_result;
};

}  // namespace stagehand::steps
