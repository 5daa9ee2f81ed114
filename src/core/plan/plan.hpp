#pragma once
// The deployment plan: what after-install starts, in which order, with which gate, need and
// readiness signal. Pure: computed from the config, the compose file and the learned profiles.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/compose.hpp"
#include "core/model/config.hpp"

namespace stagehand::core {

// Where a service's expected peak memory comes from (SPEC section 5, in priority order).
enum class NeedSource { declared, learned, compose_reservation, default_guess };
// What ends a service's start: its ready probe, its compose healthcheck, or, with neither,
// readiness inferred from the kernel (listening on its ports, CPU quiet, memory settled).
enum class ReadySignal { probe, healthcheck, inferred };

const char* to_string(NeedSource source);
const char* to_string(ReadySignal signal);
const char* to_string(Gate gate);

struct LearnedProfile {
    Bytes peak = 0;
    Millis time_to_ready{0};
};
using Profiles = std::map<std::string, LearnedProfile>;

struct ServicePlan {
    std::string name;
    std::string image;
    std::vector<Dependency> depends_on;
    Bytes need = 0;
    NeedSource need_source = NeedSource::default_guess;
    ReadySignal ready_by = ReadySignal::inferred;
    std::optional<Probe> ready;  // when ready_by == probe
    bool has_healthcheck = false;
    Millis timeout{0};
    OnTimeout on_timeout = OnTimeout::fail;
    bool one_shot = false;  // another service waits for it with service_completed_successfully
    std::vector<std::uint16_t> ports;  // declared container ports (inferred readiness)
    Millis learned_time_to_ready{0};   // 0: nothing learned
    // The longest chain of learned times-to-ready from this service through the planned
    // services that depend on it (itself included): the gate keeps memory for the longest, and
    // among services nothing waits on starts the longest first.
    Millis critical_path{0};
    // How much chain its readiness unlocks per second of its own start: (critical_path -
    // learned_time_to_ready) / learned_time_to_ready; 0 for a service nothing waits on. The
    // gate starts the highest first: it keeps the chains moving (gate.cpp, starts_before).
    double unlock_rate = 0;
};

struct StartPlan {
    std::vector<ServicePlan> services;  // the start order (a priority list)
    // Dependencies of selected services that are outside the selection (--only / --from):
    // they must already be running; the gate treats them as ready.
    std::vector<std::string> external_dependencies;
    Gate gate = Gate::adaptive;
    Millis sleep{0};
    int concurrency = 1;  // k_concurrency_auto: memory and CPU decide, up to max_concurrency
    int max_concurrency = 4;
    double quiet = 10.0;  // %: of one CPU, below which a starting service counts as quiet
    MemoryAmount reserve;
    Bytes default_need = 0;
    Millis settle{0};
    double psi = 0;
    Millis poll{0};
};

// Which services a run acts on (--only, --from).
struct Selection {
    std::vector<std::string> only;  // empty: all
    std::optional<std::string> from;
};

// Start order: startup.services when given (already checked against depends_on by the
// loader), else all compose services topologically by depends_on, ties in file order.
std::vector<std::string> start_order(const ComposeFile& compose, const StartupConfig& startup);

// Fills each service's critical_path from learned_time_to_ready over the dependents within
// the plan. Leaves every path at 0 when nothing is learned.
void compute_critical_paths(StartPlan& plan);

// The need learned from an observed peak: peak + learn_margin percent.
Bytes learned_need(Bytes peak, double learn_margin);

// The plan for after-install. Throws InputError for a selection naming unknown services.
StartPlan plan_start(const Config& config, const ComposeFile& compose, const Profiles& profiles,
                     const Selection& selection);

}  // namespace stagehand::core
