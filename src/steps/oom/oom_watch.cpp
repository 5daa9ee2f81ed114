#include "steps/oom/oom_watch.hpp"

#include <algorithm>
#include <cerrno>

namespace stagehand::steps {

namespace {

// How stale the running container's counters may get: an OOM kill elsewhere on the host that
// long before a docker kill must not turn it into an OOM kill. Each read is a few small files.
constexpr core::Millis k_refresh{5000};
// The window whose lowest available memory a system-wide verdict quotes.
constexpr core::Millis k_available_window{10000};

}  // namespace

core::OomVerdict OomWatch::observe(const os::ContainerState& state, core::Millis now) {
    if (state.id.empty()) {
        return {};
    }
    auto [entry, first_seen] = m_tracked.try_emplace(state.id);
    Tracked& tracked = entry->second;
    if (first_seen) {
        tracked.host_before = m_host_kills;
    }
    if (state.running && !state.restarting && state.pid > 0) {
        if (m_reader != nullptr &&
            (tracked.pid != state.pid || now - tracked.read_at >= k_refresh)) {
            auto counters = m_reader->read(state.pid);
            if (counters) {
                tracked.before = std::move(*counters);
            } else if (counters.error().code != ESRCH) {
                // The kill is then judged without counters: worth a line in the log file.
                m_log.debug(state.service, "OOM counters: " + counters.error().message);
            }
            tracked.pid = state.pid;
            tracked.read_at = now;
        }
        return {};
    }
    if (state.exit_code != 137) {
        return {};
    }
    if (tracked.death != state.finished_at) {
        tracked.death = state.finished_at;
        tracked.verdict = classify(tracked, state);
        m_log.debug(state.service,
                    std::string("died by SIGKILL: ") + core::to_string(tracked.verdict.kind));
    }
    return tracked.verdict;
}

core::OomVerdict OomWatch::classify(Tracked& tracked, const os::ContainerState& state) {
    const core::ExitFacts exit{state.exit_code, state.oom_killed};
    if (m_reader == nullptr) {
        return core::classify_oom(std::nullopt, {}, exit);
    }
    // Never seen running (it died within a moment of its start): the host's count from
    // before is all the baseline there is.
    std::optional<core::OomCounters> before = tracked.before;
    if (!before && tracked.host_before) {
        before = core::OomCounters{0, tracked.host_before, {}};
    }
    const core::OomCounters after = m_reader->read_again(before.value_or(core::OomCounters{}));
    auto verdict = core::classify_oom(before, after, exit);
    if (verdict.kind == core::OomKind::system_wide) {
        verdict.available = lowest_available();
    }
    // A restart under `restart:` gets a new process: its counters are read afresh.
    tracked.pid = 0;
    tracked.before.reset();
    tracked.host_before = after.host_oom_kill;
    return verdict;
}

void OomWatch::tick(core::Millis now, std::optional<core::Bytes> available) {
    if (m_reader != nullptr) {
        // Only /proc/vmstat: a read_again of no cgroup.
        m_host_kills = m_reader->read_again(core::OomCounters{}).host_oom_kill;
    }
    if (available) {
        m_available.emplace_back(now, *available);
    }
    while (!m_available.empty() && m_available.front().first < now - k_available_window) {
        m_available.pop_front();
    }
}

std::optional<core::Bytes> OomWatch::lowest_available() const {
    if (m_available.empty()) {
        return std::nullopt;
    }
    return std::min_element(m_available.begin(), m_available.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
        ->second;
}

}  // namespace stagehand::steps
