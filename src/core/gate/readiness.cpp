// When a starting service stops starting (SPEC section 5): its probe, its healthcheck, or
// readiness inferred from the kernel's facts, and the transitions advance() reports.
#include <algorithm>

#include "core/gate/gate.hpp"

namespace stagehand::core {

const char* to_string(Phase phase) {
    switch (phase) {
        case Phase::pending:
            return "pending";
        case Phase::starting:
            return "starting";
        case Phase::ready:
            return "ready";
        case Phase::completed:
            return "completed";
        case Phase::gave_up:
            return "gave up";
    }
    return "?";
}

bool memory_settled(const ServiceState& state, Millis now, Millis settle) {
    if (state.memory.empty() || state.started_at.count() < 0 || now - state.started_at < settle) {
        return false;
    }
    // The newest sample at least `settle` old is the window's start.
    const MemorySample* start = nullptr;
    for (const auto& sample : state.memory) {
        if (sample.at <= now - settle) {
            start = &sample;
        }
    }
    if (start == nullptr) {
        return false;
    }
    const Bytes newest = state.memory.back().bytes;
    const Bytes base = std::max<Bytes>(start->bytes, 1);
    return static_cast<double>(newest - start->bytes) < 0.02 * static_cast<double>(base);
}

std::optional<double> cpu_use(const ServiceState& state) {
    if (state.cpu.size() < 2) {
        return std::nullopt;
    }
    const CpuUse& newest = state.cpu.back();
    const CpuUse* start = nullptr;
    for (const auto& sample : state.cpu) {
        if (sample.at <= newest.at - k_cpu_window) {
            start = &sample;
        }
    }
    if (start == nullptr || newest.at <= start->at) {
        return std::nullopt;
    }
    const double used_ns =
        newest.used_ns > start->used_ns ? static_cast<double>(newest.used_ns - start->used_ns) : 0;
    return used_ns / (static_cast<double>((newest.at - start->at).count()) * 1e6);
}

bool quiet_lately(const ServiceState& state, double quiet_percent) {
    if (state.cpu.size() < 2) {
        return false;
    }
    const auto& older = state.cpu[state.cpu.size() - 2];
    const auto& newest = state.cpu.back();
    if (newest.at <= older.at) {
        return false;
    }
    const double used_ns =
        newest.used_ns > older.used_ns ? static_cast<double>(newest.used_ns - older.used_ns) : 0;
    return used_ns * 100.0 <
           quiet_percent * static_cast<double>((newest.at - older.at).count()) * 1e6;
}

namespace {

struct Readiness {
    bool ready = false;
    std::string signals;  // "listening 8080, cpu quiet"
};

std::string port_list(const std::vector<std::uint16_t>& ports) {
    std::string text;
    for (const auto port : ports) {
        text += (text.empty() ? "" : " ") + std::to_string(port);
    }
    return text;
}

// CPU quiet; where the cgroup's CPU time cannot be read, settled memory stands in for it.
std::optional<std::string> calm(const StartPlan& plan, const ServiceState& state, Millis now) {
    if (state.cpu_unknown) {
        return memory_settled(state, now, plan.settle)
                   ? std::optional<std::string>("memory settled")
                   : std::nullopt;
    }
    const auto use = cpu_use(state);
    if (!use || *use * 100.0 >= plan.quiet) {
        return std::nullopt;
    }
    return "cpu quiet";
}

// No probe, no healthcheck: listening on the declared ports (or on some port when none is
// declared) and quiet; a service that never listens: quiet and memory settled.
Readiness inferred(const StartPlan& plan, const ServicePlan& service, const ServiceState& state,
                   Millis now) {
    const auto quiet = calm(plan, state, now);
    if (!state.running || !quiet) {
        return {};
    }
    if (state.listening) {
        const auto& open = *state.listening;
        if (!service.ports.empty()) {
            const bool all =
                std::includes(open.begin(), open.end(), service.ports.begin(), service.ports.end());
            return all ? Readiness{true, "listening " + port_list(service.ports) + ", " + *quiet}
                       : Readiness{};
        }
        if (!open.empty()) {
            return {true, "listening " + port_list(open) + ", " + *quiet};
        }
    }
    if (*quiet == "memory settled") {
        return {true, *quiet};
    }
    if (!memory_settled(state, now, plan.settle)) {
        return {};
    }
    return {true, *quiet + ", memory settled"};
}

Readiness readiness(const StartPlan& plan, const ServicePlan& service, const ServiceState& state,
                    Millis now) {
    switch (service.ready_by) {
        case ReadySignal::probe:
            return {state.probe_passed, "probe"};
        case ReadySignal::healthcheck:
            return {state.health == "healthy", "healthcheck"};
        case ReadySignal::inferred:
            return inferred(plan, service, state, now);
    }
    return {};
}

}  // namespace

std::vector<Transition> advance(const StartPlan& plan, Snapshot& snapshot) {
    std::vector<Transition> transitions;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& service = plan.services[i];
        auto& state = snapshot.services[i];
        if (state.phase != Phase::starting) {
            continue;
        }
        const auto after = " after " + format_seconds(snapshot.now - state.started_at);
        if (service.one_shot && state.exited && state.exit_code == 0) {
            state.phase = Phase::completed;
            state.ready_at = snapshot.now;
            transitions.push_back(
                {i, Phase::completed, "completed (exit 0)" + after, "exit 0", false});
            continue;
        }
        if (!service.one_shot) {
            if (auto ready = readiness(plan, service, state, snapshot.now); ready.ready) {
                state.phase = Phase::ready;
                state.ready_at = snapshot.now;
                transitions.push_back({i, Phase::ready,
                                       "ready (" + ready.signals + ")" + after + ", memory " +
                                           format_mib(state.current_memory()),
                                       ready.signals, false});
                continue;
            }
        }
        if (snapshot.now - state.started_at > service.timeout &&
            service.on_timeout == OnTimeout::proceed) {
            state.phase = Phase::gave_up;
            state.ready_at = snapshot.now;
            transitions.push_back({i, Phase::gave_up,
                                   "not ready after " + format_seconds(service.timeout) +
                                       " (on_timeout: proceed): starting the next service anyway",
                                   "", true});
        }
    }
    return transitions;
}

}  // namespace stagehand::core
