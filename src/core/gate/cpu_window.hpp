#pragma once
// Idle CPU over the last k_cpu_window from cumulative busy-time samples of the host or a
// CPU-limited cgroup (concurrency auto, SPEC section 5): capacity x elapsed time minus the
// busy time the two counters show.

#include <cstdint>
#include <deque>
#include <optional>

#include "core/gate/gate.hpp"

namespace stagehand::core {

class CpuWindow {
  public:
    // Adds a sample taken at `at`; returns the idle CPUs (e.g. 0.4 of 1) over the window
    // ending now, nullopt until samples span a whole window.
    std::optional<double> add(Millis at, std::uint64_t used_ns, double cpus) {
        m_samples.push_back({at, used_ns});
        while (m_samples.size() > 2 && m_samples[1].at <= at - k_cpu_window) {
            m_samples.pop_front();  // the front stays the newest sample a window old
        }
        const auto& start = m_samples.front();
        if (start.at > at - k_cpu_window || start.at >= at) {
            return std::nullopt;
        }
        const double elapsed_ns = static_cast<double>((at - start.at).count()) * 1e6;
        const double busy_ns =
            used_ns > start.used_ns ? static_cast<double>(used_ns - start.used_ns) : 0.0;
        return std::max(0.0, cpus * elapsed_ns - busy_ns) / elapsed_ns;
    }
    // When the window of the latest add() began.
    Millis since() const { return m_samples.empty() ? Millis(-1) : m_samples.front().at; }

  private:
    std::deque<CpuUse> m_samples;
};

}  // namespace stagehand::core
