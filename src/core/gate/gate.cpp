#include "core/gate/gate.hpp"

#include <algorithm>
#include <cstdio>

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

std::string format_mib(Bytes bytes) {
    return std::to_string((bytes + k_mib / 2) / k_mib) + " MiB";
}

std::string format_seconds(Millis duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", static_cast<double>(duration.count()) / 1000.0);
    return text;
}

namespace {

bool stopped_starting(Phase phase) {
    return phase == Phase::ready || phase == Phase::completed || phase == Phase::gave_up;
}

// A started service that died: the whole sequence fails at once (SPEC section 5).
std::optional<std::string> crash_of(const ServicePlan& plan, const ServiceState& state) {
    if (state.phase == Phase::pending) {
        return std::nullopt;
    }
    if (state.oom_killed()) {
        return describe_exit(plan.name, state.oom, state.exit_code);
    }
    if (state.restarting) {
        return plan.name + " is restarting after exiting with code " +
               std::to_string(state.exit_code);
    }
    if (state.exited && !(plan.one_shot && state.exit_code == 0)) {
        return describe_exit(plan.name, state.oom, state.exit_code);
    }
    return std::nullopt;
}

bool ready_signal_passed(const ServicePlan& plan, const ServiceState& state, Millis now,
                         Millis settle) {
    switch (plan.ready_by) {
        case ReadySignal::probe:
            return state.probe_passed;
        case ReadySignal::healthcheck:
            return state.health == "healthy";
        case ReadySignal::settle:
            return state.running && memory_settled(state, now, settle);
    }
    return false;
}

std::string ready_message(const ServicePlan& plan, const ServiceState& state, Millis now) {
    return std::string("ready (") + to_string(plan.ready_by) + ") after " +
           format_seconds(now - state.started_at) + ", memory " +
           format_mib(state.current_memory());
}

}  // namespace

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

std::vector<Transition> advance(const StartPlan& plan, Snapshot& snapshot) {
    std::vector<Transition> transitions;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& service = plan.services[i];
        auto& state = snapshot.services[i];
        if (state.phase != Phase::starting) {
            continue;
        }
        if (service.one_shot && state.exited && state.exit_code == 0) {
            state.phase = Phase::completed;
            state.ready_at = snapshot.now;
            transitions.push_back(
                {i, Phase::completed,
                 "completed (exit 0) after " + format_seconds(snapshot.now - state.started_at),
                 false});
        } else if (!service.one_shot &&
                   ready_signal_passed(service, state, snapshot.now, plan.settle)) {
            state.phase = Phase::ready;
            state.ready_at = snapshot.now;
            transitions.push_back(
                {i, Phase::ready, ready_message(service, state, snapshot.now), false});
        } else if (snapshot.now - state.started_at > service.timeout &&
                   service.on_timeout == OnTimeout::proceed) {
            state.phase = Phase::gave_up;
            state.ready_at = snapshot.now;
            transitions.push_back({i, Phase::gave_up,
                                   "not ready after " + format_seconds(service.timeout) +
                                       " (on_timeout: proceed): starting the next service anyway",
                                   true});
        }
    }
    return transitions;
}

namespace {

Decision fail(std::size_t service, std::string reason) {
    return Decision{Decision::Kind::fail, service, {std::move(reason)}, false};
}

std::optional<Decision> check_failures(const StartPlan& plan, const Snapshot& snapshot) {
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& state = snapshot.services[i];
        if (auto crash = crash_of(plan.services[i], state)) {
            return fail(i, *crash);
        }
        const auto& service = plan.services[i];
        if (state.phase == Phase::starting && snapshot.now - state.started_at > service.timeout &&
            service.on_timeout == OnTimeout::fail) {
            return fail(i, service.name + " not ready after " + format_seconds(service.timeout) +
                               " (" + to_string(service.ready_by) + ")");
        }
    }
    for (const auto& [name, running] : snapshot.external_running) {
        if (!running) {
            return fail(0, name +
                               " is a dependency outside this run's selection and is not "
                               "running: start it first (or drop --only/--from)");
        }
    }
    return std::nullopt;
}

// What a starting service may still grow by: its need minus what it already uses.
Bytes expected_growth(const StartPlan& plan, const Snapshot& snapshot) {
    Bytes growth = 0;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& state = snapshot.services[i];
        if (state.phase == Phase::starting) {
            growth += std::max<Bytes>(0, plan.services[i].need - state.current_memory());
        }
    }
    return growth;
}

std::size_t count_starting(const Snapshot& snapshot) {
    return static_cast<std::size_t>(
        std::count_if(snapshot.services.begin(), snapshot.services.end(),
                      [](const ServiceState& s) { return s.phase == Phase::starting; }));
}

std::optional<std::size_t> index_of(const StartPlan& plan, const std::string& name) {
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        if (plan.services[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

// Dependencies not yet satisfied, as reasons ("config-service to be ready").
std::vector<std::string> dependency_reasons(const StartPlan& plan, const Snapshot& snapshot,
                                            const ServicePlan& service) {
    std::vector<std::string> reasons;
    for (const auto& dep : service.depends_on) {
        const auto index = index_of(plan, dep.service);
        if (!index) {
            continue;  // external: checked in check_failures
        }
        const auto phase = snapshot.services[*index].phase;
        if (dep.condition == DependsCondition::service_completed_successfully) {
            if (phase != Phase::completed) {
                reasons.push_back(dep.service + " to complete successfully");
            }
        } else if (!stopped_starting(phase)) {
            reasons.push_back(dep.service + " to be ready (" + to_string(phase) + ")");
        }
    }
    return reasons;
}

struct MemoryVerdict {
    bool enough = true;
    Bytes missing = 0;
    std::string text;  // "available 412 MiB - 100 MiB still growing, need 350 + reserve 128"
};

MemoryVerdict memory_verdict(const StartPlan& plan, const Snapshot& snapshot,
                             const ServicePlan& service) {
    const Bytes growth = expected_growth(plan, snapshot);
    const Bytes reserve = plan.reserve.resolve(snapshot.total);
    const Bytes usable = snapshot.available - growth;
    MemoryVerdict verdict;
    verdict.missing = service.need + reserve - usable;
    verdict.enough = verdict.missing <= 0;
    verdict.text = "available " + format_mib(snapshot.available);
    if (growth > 0) {
        verdict.text += " - " + format_mib(growth) + " still growing";
    }
    verdict.text += ", need " + format_mib(service.need) + " (" + to_string(service.need_source) +
                    ") + reserve " + format_mib(reserve);
    return verdict;
}

bool pressure_high(const StartPlan& plan, const Snapshot& snapshot) {
    return plan.psi > 0 && snapshot.psi_some_avg10 && *snapshot.psi_some_avg10 >= plan.psi;
}

}  // namespace

namespace {

struct Candidate {
    std::vector<std::string> reasons;
    bool only_memory = false;  // every other condition holds
    MemoryVerdict memory;
};

Candidate evaluate(const StartPlan& plan, const Snapshot& snapshot, std::size_t index) {
    const auto& service = plan.services[index];
    Candidate candidate;
    candidate.reasons = dependency_reasons(plan, snapshot, service);
    const auto starting = count_starting(snapshot);
    if (starting >= static_cast<std::size_t>(plan.concurrency)) {
        candidate.reasons.push_back(std::to_string(starting) + " service(s) still starting " +
                                    "(concurrency " + std::to_string(plan.concurrency) + ")");
    }
    if (pressure_high(plan, snapshot)) {
        char text[96];
        std::snprintf(text, sizeof text, "memory pressure some avg10 %.1f%% (limit %.0f%%)",
                      *snapshot.psi_some_avg10, plan.psi);
        candidate.reasons.emplace_back(text);
    }
    const bool others_hold = candidate.reasons.empty();
    candidate.memory = memory_verdict(plan, snapshot, service);
    if (!candidate.memory.enough) {
        candidate.reasons.push_back("memory: " + candidate.memory.text);
    }
    candidate.only_memory = others_hold && !candidate.memory.enough;
    return candidate;
}

// Nothing is starting and memory is still short: waiting cannot help (SPEC section 5).
Decision memory_dead_end(const StartPlan& plan, std::size_t index, const Candidate& candidate) {
    const auto& service = plan.services[index];
    if (service.need_source == NeedSource::default_guess) {
        return Decision{Decision::Kind::start,
                        index,
                        {"memory is short and nothing else is starting; " + service.name +
                         "'s need is only the default guess, starting it anyway (" +
                         candidate.memory.text + ")"},
                        true};
    }
    return fail(index, service.name + " needs " + format_mib(candidate.memory.missing) +
                           " more memory than can become free (" + candidate.memory.text + ")");
}

Decision wait_or_timeout(const StartPlan& plan, const Snapshot& snapshot, std::size_t index,
                         std::vector<std::string> reasons) {
    const auto& service = plan.services[index];
    const auto& state = snapshot.services[index];
    if (state.waiting_since.count() >= 0 && snapshot.now - state.waiting_since > service.timeout) {
        std::string why = "waited " + format_seconds(service.timeout) + " to start " +
                          service.name + ": " + reasons.front();
        if (service.on_timeout == OnTimeout::proceed) {
            return Decision{Decision::Kind::start, index, {why + " (on_timeout: proceed)"}, true};
        }
        return fail(index, why);
    }
    return Decision{Decision::Kind::wait, index, std::move(reasons), false};
}

Decision decide_adaptive(const StartPlan& plan, const Snapshot& snapshot,
                         const std::vector<std::size_t>& pending) {
    // concurrency 1: strictly in order; more: the earliest whose conditions hold.
    const std::size_t window = plan.concurrency <= 1 ? 1 : pending.size();
    std::optional<Candidate> head;
    for (std::size_t k = 0; k < window; ++k) {
        auto candidate = evaluate(plan, snapshot, pending[k]);
        if (candidate.reasons.empty()) {
            return Decision{Decision::Kind::start, pending[k], {}, false};
        }
        if (!head) {
            head = std::move(candidate);
        }
    }
    if (head->only_memory && count_starting(snapshot) == 0) {
        return memory_dead_end(plan, pending.front(), *head);
    }
    return wait_or_timeout(plan, snapshot, pending.front(), head->reasons);
}

Decision decide_sleep(const StartPlan& plan, const Snapshot& snapshot, std::size_t next) {
    if (snapshot.last_start.count() >= 0 && snapshot.now - snapshot.last_start < plan.sleep) {
        return Decision{
            Decision::Kind::wait,
            next,
            {"gate sleep: " + format_seconds(plan.sleep - (snapshot.now - snapshot.last_start)) +
             " left of " + format_seconds(plan.sleep)},
            false};
    }
    return Decision{Decision::Kind::start, next, {}, false};
}

Decision wait_for_starting(const StartPlan& plan, const Snapshot& snapshot) {
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& state = snapshot.services[i];
        if (state.phase == Phase::starting) {
            return Decision{
                Decision::Kind::wait,
                i,
                {plan.services[i].name + " to be ready (" + to_string(plan.services[i].ready_by) +
                 ", " + format_seconds(snapshot.now - state.started_at) + ")"},
                false};
        }
    }
    return Decision{Decision::Kind::done, 0, {}, false};
}

}  // namespace

Decision decide(const StartPlan& plan, const Snapshot& snapshot) {
    if (auto failure = check_failures(plan, snapshot)) {
        return *failure;
    }
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        if (snapshot.services[i].phase == Phase::pending) {
            pending.push_back(i);
        }
    }
    if (pending.empty()) {
        return wait_for_starting(plan, snapshot);
    }
    switch (plan.gate) {
        case Gate::none:
            return Decision{Decision::Kind::start, pending.front(), {}, false};
        case Gate::sleep:
            return decide_sleep(plan, snapshot, pending.front());
        case Gate::adaptive:
            return decide_adaptive(plan, snapshot, pending);
    }
    return Decision{Decision::Kind::wait, pending.front(), {"unknown gate"}, false};
}

}  // namespace stagehand::core
