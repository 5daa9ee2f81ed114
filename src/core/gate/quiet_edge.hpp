#pragma once
// The moment a starting service's CPU goes quiet: busy over one interval between two samples
// of its cumulative CPU time, under `quiet_percent` of one CPU over the next. A service with a
// ready probe is most likely ready then (its start is CPU work that ends when it is done), so
// the start loop probes it at that moment instead of at its next poll.

#include <cstdint>
#include <optional>

#include "core/gate/snapshot.hpp"

namespace stagehand::core {

class QuietEdge {
  public:
    // Adds a sample taken at `at`; true when the interval it ends is quiet and the one before
    // it was busy. A first sample, or one no later than the last, says nothing.
    bool add(Millis at, std::uint64_t used_ns, double quiet_percent) {
        if (!m_last || at <= m_last->at) {
            m_last = CpuUse{at, used_ns};
            return false;
        }
        const double busy_ns =
            used_ns > m_last->used_ns ? static_cast<double>(used_ns - m_last->used_ns) : 0.0;
        const bool busy =
            busy_ns * 100.0 >= quiet_percent * static_cast<double>((at - m_last->at).count()) * 1e6;
        const bool went_quiet = m_was_busy && !busy;
        m_last = CpuUse{at, used_ns};
        m_was_busy = busy;
        return went_quiet;
    }
    // Forgets the samples (the service's container changed, or it is no longer watched).
    void reset() {
        m_last.reset();
        m_was_busy = false;
    }

  private:
    std::optional<CpuUse> m_last;
    bool m_was_busy = false;
};

}  // namespace stagehand::core
