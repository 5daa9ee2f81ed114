#pragma once
// The start gate (SPEC section 5) as pure functions over a Snapshot. The loop in
// steps/start samples, calls advance() and decide(), acts, and repeats; --dry-run and the
// wait messages print the same reasons.

#include <optional>
#include <string>
#include <vector>

#include "core/gate/snapshot.hpp"
#include "core/plan/plan.hpp"
#include "util/units_text.hpp"

namespace stagehand::core {

// What a reason is about: the loop, the report and the picture switch on this, never on the
// wording of `text`.
enum class ReasonKind {
    dependency,   // a depends_on service is not ready / not completed
    concurrency,  // as many services are starting as allowed
    cpu,          // concurrency auto: the CPU is saturated by the services starting
    memory,       // not enough available memory for the need + reserve
    pressure,     // memory pressure (PSI) at or above the limit
    sleep,        // gate sleep: the fixed pause
    starting,     // after the last start: a service still starting
    crash,        // a started service exited, restarts or was OOM-killed
    timeout,      // a start or a wait took longer than its timeout
    external,     // a dependency outside the selection is not running
    forced,       // started despite a condition (memory guess, on_timeout: proceed)
};

const char* to_string(ReasonKind kind);

struct Reason {
    ReasonKind kind = ReasonKind::dependency;
    std::string text;
};

struct Decision {
    enum class Kind {
        start,  // start `service` now
        wait,   // nothing can start yet; `reasons` say what is awaited
        fail,   // stop the sequence; `reasons[0]` is the cause
        done,   // every service started and stopped starting
    };
    Kind kind = Kind::wait;
    std::size_t service = 0;  // start: whom; wait: the next in line; fail: the culprit
    std::vector<Reason> reasons;
    bool warning = false;  // start: despite a condition (memory guess, on_timeout: proceed)
};

// A phase change found by advance(), for the log and the report.
struct Transition {
    std::size_t service = 0;
    Phase to = Phase::ready;
    std::string message;  // "ready (listening 8080, cpu quiet) after 3.1s, memory 140 MiB"
    std::string signals;  // what decided: "healthcheck", "listening 8080, cpu quiet", ...
    bool warning = false;
};

// The window over which CPU use is judged: inferred "quiet", and auto concurrency's idle CPU.
inline constexpr Millis k_cpu_window{1000};

// Memory has settled when it grew by less than 2% over the `settle` window ending now.
bool memory_settled(const ServiceState& state, Millis now, Millis settle);

// The container's CPU use, in CPUs, over the k_cpu_window ending at its newest sample;
// nullopt until samples span the window since the start.
std::optional<double> cpu_use(const ServiceState& state);

// Its CPU use over the interval between its two newest samples is below `quiet_percent` of one
// CPU: it may be in its quiet second (a busy one cannot be ready yet). False with fewer than two.
bool quiet_lately(const ServiceState& state, double quiet_percent);

// How often the loop samples while a service with inferred readiness is starting (or a start
// waits on the CPU window): its quiet second is then seen within this much of its end, where
// samples `poll` apart (500 ms by default) saw it up to a poll late at every link of a chain.
inline constexpr Millis k_quiet_tick{100};

// How often the loop reads the CPU time of the services starting with a ready probe while it
// waits (a few at once): a probe follows the moment one goes quiet, since that is when it is
// most likely ready, instead of up to a `poll` later (start_loop.cpp, QuietEdge).
inline constexpr Millis k_edge_tick{25};

// Twice the CPU window: a service with inferred readiness is ready no sooner than its quiet
// second after its work, so one learned to be ready within this did about a second of work.
inline constexpr Millis k_short_start{2 * k_cpu_window};

// Learned to be ready within k_short_start: concurrency auto starts it on a saturated CPU, and
// memory kept for the longer chains holds it whatever the slack (kept_room.cpp).
bool short_start(const ServicePlan& service);

// Moves starting services to ready / completed / gave_up from the facts in the snapshot.
std::vector<Transition> advance(const StartPlan& plan, Snapshot& snapshot);

// The decision for this instant. Call advance() first.
Decision decide(const StartPlan& plan, const Snapshot& snapshot);

// The gate's messages (and the steps that quote them) use the one formatter of util.
using util::format_mib;
using util::format_seconds;

}  // namespace stagehand::core
