#include "core/gate/kept_room.hpp"

#include <algorithm>
#include <unordered_map>

namespace stagehand::core {

// Why keep room at all: the gate otherwise gives memory to whichever service fits first, and
// on a small host the services at the end of short chains fit first. Measured on the reference
// stack with learned needs (peak + learn_margin, benchmark of 2026-12-06): chat-service
// (270 MiB) and gateway-service (199 MiB), the two longest chains, both wait for
// config-service; gesture-service and the kafka consumer (37 MiB together) started while
// config-service was still starting, and then the two no longer fit beside each other
// (1024 − 509 steady − 64 reserve = 451 < 469): gateway-service waited for chat-service to be
// ready and then ramped alone, 23.7 s with the services listed in a scrambled order against
// 21.1 s (and one run in three 23.6 s) in file order.
//
// Only pending services whose dependencies have all been started count: they become startable
// as soon as those are ready, and the memory a small service takes now would still be taken
// then. A service further down a chain is not kept for (it cannot start before its own
// dependencies have, which are kept for themselves). With nothing learned every critical path
// is 0, so nothing is kept and the start order alone decides, as before. A service is held
// only if its own chain is short enough to wait (kept_for): holding eureka-server (a 6.6 s
// chain) for the same two made the simulated stack slower, 22.2 s against 20.8 s. A chain
// already starting also bounds how long the run will last, and a short chain is held whatever
// the slack: with chat-service started and only gateway-service kept, the consumer and
// gesture-service (1.5 s chains) were let through, took 37 MiB, and gateway-service waited 6 s
// for memory (benchmark learned runs of 21.0 and 20.9 s against 19.8 s).
KeptRoom::KeptRoom(const StartPlan& plan, const Snapshot& snapshot) : m_plan(plan) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        index.emplace(plan.services[i].name, i);
    }
    const auto pending = [&](const std::string& name) {
        const auto it = index.find(name);
        return it != index.end() && snapshot.services[it->second].phase == Phase::pending;
    };
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& service = plan.services[i];
        const auto& state = snapshot.services[i];
        if (state.phase == Phase::starting && service.critical_path.count() > 0) {
            m_outlasting =
                std::max(m_outlasting, service.critical_path - (snapshot.now - state.started_at));
        }
        if (state.phase != Phase::pending || service.critical_path.count() <= 0) {
            continue;
        }
        if (std::none_of(service.depends_on.begin(), service.depends_on.end(),
                         [&](const Dependency& dep) { return pending(dep.service); })) {
            m_soon.push_back(i);
        }
    }
    // Longest critical path first; between equals the start order (stable).
    std::stable_sort(m_soon.begin(), m_soon.end(), [&](std::size_t a, std::size_t b) {
        return plan.services[a].critical_path > plan.services[b].critical_path;
    });
    Bytes total = 0;
    Millis first_ready = Millis::max();
    for (const std::size_t i : m_soon) {
        const auto& service = plan.services[i];
        total += service.need - std::min(snapshot.services[i].held, service.need);
        first_ready = std::min(first_ready, service.learned_time_to_ready);
        m_room.push_back(total);
        m_first_ready.push_back(first_ready);
    }
}

KeptRoom::Kept KeptRoom::kept_for(std::size_t index) const {
    const auto path = m_plan.services[index].critical_path;
    // m_soon is sorted by critical path, longest first: those longer than `path` are a prefix.
    const auto end = std::partition_point(m_soon.begin(), m_soon.end(), [&](std::size_t i) {
        return m_plan.services[i].critical_path > path;
    });
    const auto count = static_cast<std::size_t>(end - m_soon.begin());
    if (count == 0) {
        return {};
    }
    // Kept out, `index` may have to start only once the first of them is ready (their memory
    // then drops to steady): its chain must still end before the run would, which is no sooner
    // than the longest of theirs, nor than a chain already starting (m_outlasting).
    const Millis longest = std::max(m_plan.services[m_soon.front()].critical_path, m_outlasting);
    const Millis slack = longest - m_first_ready[count - 1];
    // A short chain is held whatever the slack: left for later it costs the run at most its
    // own two seconds; let through, it can cost a longer chain its overlap (above).
    const bool short_chain = short_start(m_plan.services[index]) && path <= k_short_start;
    if (!short_chain && (slack <= Millis(0) || path > slack)) {
        return {};
    }
    return Kept{m_room[count - 1], count};
}

std::optional<Reason> KeptRoom::hold(std::size_t index, Bytes missing,
                                     const std::string& memory) const {
    const auto kept = kept_for(index);
    if (kept.count == 0 || missing + kept.bytes <= 0) {
        return std::nullopt;
    }
    std::string names;
    constexpr std::size_t k_named = 3;
    for (std::size_t k = 0; k < kept.count && k < k_named; ++k) {
        names += (names.empty() ? "" : ", ") + m_plan.services[m_soon[k]].name;
    }
    if (kept.count > k_named) {
        names += " and " + std::to_string(kept.count - k_named) + " more";
    }
    return Reason{ReasonKind::memory, "memory: keeping " + format_mib(kept.bytes) + " for " +
                                          names + " (longer critical path); " + memory};
}

}  // namespace stagehand::core
