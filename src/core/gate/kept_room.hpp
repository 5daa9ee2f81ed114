#pragma once
// Memory the start gate keeps for the services heading longer critical paths (SPEC section
// 5, "critical path first", applied to memory as well as to the order): a service may start
// beside them only if the room they will need stays free.

#include <optional>
#include <vector>

#include "core/gate/gate.hpp"

namespace stagehand::core {

// Built once per decision from the plan and the snapshot: the pending services that are, or
// are about to be, startable (none of their dependencies is still pending), by critical path.
class KeptRoom {
  public:
    KeptRoom(const StartPlan& plan, const Snapshot& snapshot);

    // What must stay free for pending services heading a longer critical path than `index`:
    // their needs (less what their running containers hold), and their names for the reason.
    // Empty when `index`'s own chain is too long to wait for them (see kept_room.cpp).
    struct Kept {
        Bytes bytes = 0;
        std::size_t count = 0;  // how many: the first `count` of soon()
    };
    Kept kept_for(std::size_t index) const;
    // The pending services with no pending dependency and a learned critical path, longest first.
    const std::vector<std::size_t>& soon() const { return m_soon; }

    // The reason `index` must wait when `missing` (its memory verdict: need + reserve −
    // usable, ≤ 0 when it fits by itself) plus the kept room is above zero; nullopt otherwise.
    std::optional<Reason> hold(std::size_t index, Bytes missing, const std::string& memory) const;

  private:
    const StartPlan& m_plan;
    std::vector<std::size_t> m_soon;    // pending, no pending dependency; longest path first
    std::vector<Bytes> m_room;          // m_room[k]: the needs of m_soon[0..k] together
    std::vector<Millis> m_first_ready;  // [k]: the shortest learned time to ready in m_soon[0..k]
    Millis m_outlasting{0};  // the longest learned chain still ahead of a service starting now
};

}  // namespace stagehand::core
