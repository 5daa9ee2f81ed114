#pragma once
// The start gate (SPEC section 5) as pure functions over a Snapshot. The loop in
// steps/start samples, calls advance() and decide(), acts, and repeats; --dry-run and the
// wait messages print the same reasons.

#include <string>
#include <vector>

#include "core/gate/snapshot.hpp"
#include "core/plan/plan.hpp"

namespace stagehand::core {

struct Decision {
    enum class Kind {
        start,  // start `service` now
        wait,   // nothing can start yet; `reasons` say what is awaited
        fail,   // stop the sequence; `reasons[0]` is the cause
        done,   // every service started and stopped starting
    };
    Kind kind = Kind::wait;
    std::size_t service = 0;  // start: whom; wait: the next in line; fail: the culprit
    std::vector<std::string> reasons;
    bool warning = false;  // start: despite a condition (memory guess, on_timeout: proceed)
};

// A phase change found by advance(), for the log and the report.
struct Transition {
    std::size_t service = 0;
    Phase to = Phase::ready;
    std::string message;  // "ready (healthcheck) after 3.1s"
    bool warning = false;
};

// Memory has settled when it grew by less than 2% over the `settle` window ending now.
bool memory_settled(const ServiceState& state, Millis now, Millis settle);

// Moves starting services to ready / completed / gave_up from the facts in the snapshot.
std::vector<Transition> advance(const StartPlan& plan, Snapshot& snapshot);

// The decision for this instant. Call advance() first.
Decision decide(const StartPlan& plan, const Snapshot& snapshot);

// "412 MiB" style, for messages.
std::string format_mib(Bytes bytes);
std::string format_seconds(Millis duration);

}  // namespace stagehand::core
