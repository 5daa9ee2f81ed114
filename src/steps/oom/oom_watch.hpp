#pragma once
// The kernel's OOM counters around each container a step watches (SPEC section 5): read while
// the container runs -- at first sight, then again every few seconds so that an OOM kill
// elsewhere on the host long before does not count -- and once more when it is seen dead by
// SIGKILL (exit 137), for core::classify_oom. Used by the start loop and validate-service,
// so the gate, the verdicts, the report and the learned profiles read one classification.

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/oom/oom_kill.hpp"
#include "os/docker/docker.hpp"
#include "os/memory/oom_counters.hpp"
#include "util/log.hpp"

namespace stagehand::steps {

class OomWatch {
  public:
    // `reader` null: no kernel counters (Docker's flag decides, kind `reported`).
    OomWatch(os::OomCounterReader* reader, util::Log& log) : m_reader(reader), m_log(log) {}

    // Feeds one observed state of a container at `now` (time since the step began). Running:
    // its counters are read when not yet known for this process or older than the refresh
    // interval. Dead with exit 137: classified once per death (the same verdict after).
    // Returns the verdict for a dead container, kind none otherwise.
    core::OomVerdict observe(const os::ContainerState& state, core::Millis now);

    // Once per round of the step, before its observations: the host's OOM-kill count now (the
    // baseline of a container that dies before its own counters could be read) and the
    // memory available (the gate's figure, nullopt in validate) that a system-wide verdict
    // quotes as the lowest of the last seconds.
    void tick(core::Millis now, std::optional<core::Bytes> available);
    // The lowest memory available of the last seconds' ticks: what a system-wide OOM verdict
    // quotes (nullopt: no figure ticked).
    std::optional<core::Bytes> lowest_available() const;

  private:
    struct Tracked {
        int pid = 0;
        core::Millis read_at{-1};
        std::optional<core::OomCounters> before;
        std::optional<std::int64_t> host_before;  // the host's count when first seen
        std::optional<std::string> death;         // FinishedAt of the death classified below
        core::OomVerdict verdict;
    };
    core::OomVerdict classify(Tracked& tracked, const os::ContainerState& state);

    os::OomCounterReader* m_reader;
    util::Log& m_log;
    std::map<std::string, Tracked> m_tracked;  // by container id
    std::optional<std::int64_t> m_host_kills;  // at the latest tick
    std::deque<std::pair<core::Millis, core::Bytes>> m_available;
};

}  // namespace stagehand::steps
