#include "core/gate/gate.hpp"

#include <algorithm>
#include <cstdio>

#include "core/gate/kept_room.hpp"
#include "core/model/container.hpp"

namespace stagehand::core {

const char* to_string(ReasonKind kind) {
    switch (kind) {
        case ReasonKind::dependency:
            return "dependency";
        case ReasonKind::concurrency:
            return "concurrency";
        case ReasonKind::cpu:
            return "cpu";
        case ReasonKind::memory:
            return "memory";
        case ReasonKind::pressure:
            return "pressure";
        case ReasonKind::sleep:
            return "sleep";
        case ReasonKind::starting:
            return "starting";
        case ReasonKind::crash:
            return "crash";
        case ReasonKind::timeout:
            return "timeout";
        case ReasonKind::external:
            return "external";
        case ReasonKind::forced:
            return "forced";
    }
    return "?";
}

namespace {

// concurrency auto: a start while the CPU is saturated only adds contention; below this many
// idle CPUs over the last second it counts as saturated. A starting JVM keeps a whole vCPU
// busy; a fifth of one idle over the last second means they have left real room.
constexpr double k_min_idle_cpus = 0.2;
// One start may overlap another whatever the CPU says: a container's first second is mostly
// Docker's and the runtime's start-up, a starting service's last second is the quiet window
// its readiness needs, and those gaps left the one CPU idle between strictly chained starts
// (measured: 26.3 s for the annotated reference stack with the CPU judging every overlap,
// against 19.7 s with two at once).
constexpr std::size_t k_free_overlap = 2;

bool stopped_starting(Phase phase) {
    return phase == Phase::ready || phase == Phase::completed || phase == Phase::gave_up;
}

// A started service that died: the whole sequence fails at once (SPEC section 5).
std::optional<std::string> crash_of(const ServicePlan& plan, const ServiceState& state) {
    if (state.phase == Phase::pending) {
        return std::nullopt;
    }
    const ContainerFacts facts{state.restarting, state.exited, false, state.exit_code, state.oom};
    switch (crash_kind(facts, plan.one_shot ? CleanExit::completes : CleanExit::crash)) {
        case CrashKind::none:
            return std::nullopt;
        case CrashKind::restarting:
            return plan.name + " is restarting after exiting with code " +
                   std::to_string(state.exit_code);
        case CrashKind::oom_killed:
        case CrashKind::exited:
            return describe_exit(plan.name, state.oom, state.exit_code);
    }
    return std::nullopt;
}

}  // namespace

namespace {

Decision fail(std::size_t service, ReasonKind kind, std::string text) {
    return Decision{Decision::Kind::fail, service, {{kind, std::move(text)}}, false};
}

std::optional<Decision> check_failures(const StartPlan& plan, const Snapshot& snapshot) {
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        const auto& state = snapshot.services[i];
        if (auto crash = crash_of(plan.services[i], state)) {
            return fail(i, ReasonKind::crash, *crash);
        }
        const auto& service = plan.services[i];
        if (state.phase == Phase::starting && snapshot.now - state.started_at > service.timeout &&
            service.on_timeout == OnTimeout::fail) {
            return fail(i, ReasonKind::timeout,
                        service.name + " not ready after " + format_seconds(service.timeout) +
                            " (" + to_string(service.ready_by) + ")");
        }
    }
    for (const auto& [name, running] : snapshot.external_running) {
        if (!running) {
            return fail(0, ReasonKind::external,
                        name +
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

// Dependencies not yet satisfied ("config-service to be ready (starting)").
void add_dependency_reasons(const StartPlan& plan, const Snapshot& snapshot,
                            const ServicePlan& service, std::vector<Reason>& reasons) {
    for (const auto& dep : service.depends_on) {
        const auto index = index_of(plan, dep.service);
        if (!index) {
            continue;  // external: checked in check_failures
        }
        const auto phase = snapshot.services[*index].phase;
        if (dep.condition == DependsCondition::service_completed_successfully) {
            if (phase != Phase::completed) {
                reasons.push_back(
                    {ReasonKind::dependency, dep.service + " to complete successfully"});
            }
        } else if (!stopped_starting(phase)) {
            reasons.push_back(
                {ReasonKind::dependency, dep.service + " to be ready (" + to_string(phase) + ")"});
        }
    }
}

// concurrency auto with services starting: is the CPU saturated? Judged only over a window
// that began after the latest start, or a start made a moment ago would look free.
std::optional<Reason> cpu_busy(const Snapshot& snapshot) {
    if (snapshot.last_start.count() >= 0 && snapshot.cpu_idle_since < snapshot.last_start) {
        return Reason{ReasonKind::cpu, "CPU: the latest start (" +
                                           format_seconds(snapshot.now - snapshot.last_start) +
                                           " ago) has not been measured for " +
                                           format_seconds(k_cpu_window) + " yet"};
    }
    if (!snapshot.cpu_idle) {
        return Reason{ReasonKind::cpu, "CPU use unknown: one service starting at a time"};
    }
    if (*snapshot.cpu_idle < k_min_idle_cpus) {
        char text[96];
        std::snprintf(text, sizeof text, "CPU saturated: %.2f CPU idle over the last %s",
                      *snapshot.cpu_idle,
                      format_seconds(snapshot.now - snapshot.cpu_idle_since).c_str());
        return Reason{ReasonKind::cpu, text};
    }
    return std::nullopt;
}

void add_concurrency_reason(const StartPlan& plan, const Snapshot& snapshot, std::size_t index,
                            std::vector<Reason>& reasons) {
    const auto starting = count_starting(snapshot);
    const bool automatic = plan.concurrency == k_concurrency_auto;
    const auto limit =
        static_cast<std::size_t>(automatic ? plan.max_concurrency : plan.concurrency);
    if (starting >= limit) {
        reasons.push_back(
            {ReasonKind::concurrency, std::to_string(starting) + " service(s) still starting (" +
                                          (automatic ? "max_concurrency " : "concurrency ") +
                                          std::to_string(limit) + ")"});
    } else if (automatic && starting >= k_free_overlap && !short_start(plan.services[index])) {
        if (auto busy = cpu_busy(snapshot)) {
            reasons.push_back(std::move(*busy));
        }
    }
}

struct MemoryVerdict {
    bool enough = true;
    Bytes missing = 0;
    std::string text;  // "available 412 MiB - 100 MiB still growing, need 350 + reserve 128"
};

MemoryVerdict memory_verdict(const StartPlan& plan, const Snapshot& snapshot, std::size_t index) {
    const auto& service = plan.services[index];
    const Bytes held = std::min(snapshot.services[index].held, service.need);
    const Bytes growth = expected_growth(plan, snapshot);
    const Bytes reserve = plan.reserve.resolve(snapshot.total);
    const Bytes usable = snapshot.available - growth;
    MemoryVerdict verdict;
    verdict.missing = service.need - held + reserve - usable;
    verdict.enough = verdict.missing <= 0;
    verdict.text = "available " + format_mib(snapshot.available);
    if (growth > 0) {
        verdict.text += " - " + format_mib(growth) + " still growing";
    }
    verdict.text +=
        ", need " + format_mib(service.need) + " (" + to_string(service.need_source) + ")";
    if (held > 0) {
        verdict.text += " - its running container holds " + format_mib(held);
    }
    verdict.text += " + reserve " + format_mib(reserve);
    return verdict;
}

bool pressure_high(const StartPlan& plan, const Snapshot& snapshot) {
    return plan.psi > 0 && snapshot.psi_some_avg10 && *snapshot.psi_some_avg10 >= plan.psi;
}

struct Candidate {
    std::vector<Reason> reasons;
    bool only_memory = false;  // every other condition holds
    MemoryVerdict memory;
};

Candidate evaluate(const StartPlan& plan, const Snapshot& snapshot, std::size_t index,
                   const KeptRoom* kept) {
    const auto& service = plan.services[index];
    Candidate candidate;
    add_dependency_reasons(plan, snapshot, service, candidate.reasons);
    add_concurrency_reason(plan, snapshot, index, candidate.reasons);
    if (pressure_high(plan, snapshot)) {
        char text[96];
        std::snprintf(text, sizeof text, "memory pressure some avg10 %.1f%% (limit %.0f%%)",
                      *snapshot.psi_some_avg10, plan.psi);
        candidate.reasons.push_back({ReasonKind::pressure, text});
    }
    const bool others_hold = candidate.reasons.empty();
    candidate.memory = memory_verdict(plan, snapshot, index);
    if (!candidate.memory.enough) {
        candidate.reasons.push_back({ReasonKind::memory, "memory: " + candidate.memory.text});
    } else if (others_hold && kept != nullptr) {
        if (auto hold = kept->hold(index, candidate.memory.missing, candidate.memory.text)) {
            candidate.reasons.push_back(std::move(*hold));
        }
    }
    candidate.only_memory = others_hold && candidate.reasons.size() == 1 &&
                            candidate.reasons.front().kind == ReasonKind::memory;
    return candidate;
}

// Nothing is starting and memory is still short: waiting cannot help (SPEC section 5).
Decision memory_dead_end(const StartPlan& plan, std::size_t index, const Candidate& candidate) {
    const auto& service = plan.services[index];
    if (service.need_source == NeedSource::default_guess) {
        return Decision{
            Decision::Kind::start,
            index,
            {{ReasonKind::forced, "memory is short and nothing else is starting; " + service.name +
                                      "'s need is only the default guess, starting "
                                      "it anyway (" +
                                      candidate.memory.text + ")"}},
            true};
    }
    return fail(index, ReasonKind::memory,
                service.name + " needs " + format_mib(candidate.memory.missing) +
                    " more memory than can become free (" + candidate.memory.text + ")");
}

Decision wait_or_timeout(const StartPlan& plan, const Snapshot& snapshot, std::size_t index,
                         std::vector<Reason> reasons) {
    const auto& service = plan.services[index];
    const auto& state = snapshot.services[index];
    if (state.waiting_since.count() >= 0 && snapshot.now - state.waiting_since > service.timeout) {
        std::string why = "waited " + format_seconds(service.timeout) + " to start " +
                          service.name + ": " + reasons.front().text;
        if (service.on_timeout == OnTimeout::proceed) {
            return Decision{Decision::Kind::start,
                            index,
                            {{ReasonKind::forced, why + " (on_timeout: proceed)"}},
                            true};
        }
        return fail(index, ReasonKind::timeout, why);
    }
    return Decision{Decision::Kind::wait, index, std::move(reasons), false};
}

// Which of two startable services goes first: the one whose readiness unlocks the most
// chain per second of its own start, then (among those nothing waits on, or equals) the one
// heading the longer critical path; the plan order breaks what is left.
bool starts_before(const ServicePlan& a, const ServicePlan& b) {
    if (a.unlock_rate != b.unlock_rate) {
        return a.unlock_rate > b.unlock_rate;
    }
    return a.critical_path > b.critical_path;
}

Decision decide_adaptive(const StartPlan& plan, const Snapshot& snapshot,
                         const std::vector<std::size_t>& pending) {
    // concurrency 1: strictly in order. Otherwise, of those whose conditions hold, the first
    // by starts_before; between equals the earliest in the order.
    // While services are starting, memory is kept for the pending services heading longer
    // critical paths (kept_room.cpp says why); with none starting nothing can free memory for
    // them, so whatever fits starts (and a service that can never fit meets the dead end).
    const std::size_t window = plan.concurrency == 1 ? 1 : pending.size();
    std::optional<KeptRoom> kept;
    if (window > 1 && count_starting(snapshot) > 0) {
        kept.emplace(plan, snapshot);
    }
    std::optional<std::size_t> best;
    std::optional<Candidate> head;
    for (std::size_t k = 0; k < window; ++k) {
        auto candidate = evaluate(plan, snapshot, pending[k], kept ? &*kept : nullptr);
        if (candidate.reasons.empty()) {
            if (!best || starts_before(plan.services[pending[k]], plan.services[*best])) {
                best = pending[k];
            }
        } else if (!head) {
            head = std::move(candidate);
        }
    }
    if (best) {
        return Decision{Decision::Kind::start, *best, {}, false};
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
            {{ReasonKind::sleep,
              "gate sleep: " + format_seconds(plan.sleep - (snapshot.now - snapshot.last_start)) +
                  " left of " + format_seconds(plan.sleep)}},
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
                {{ReasonKind::starting, plan.services[i].name + " to be ready (" +
                                            to_string(plan.services[i].ready_by) + ", " +
                                            format_seconds(snapshot.now - state.started_at) + ")"}},
                false};
        }
    }
    return Decision{Decision::Kind::done, 0, {}, false};
}

}  // namespace

// Its own work is small, so starting it on a saturated CPU adds little contention. Held back
// for the CPU, such services piled up at the end of a run, where each one's quiet second was
// then waited out with the CPU idle (measured: gesture-service and the kafka consumer added
// 1.5 s after the last long service was ready).
bool short_start(const ServicePlan& service) {
    return service.learned_time_to_ready.count() > 0 &&
           service.learned_time_to_ready <= k_short_start;
}

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
    return Decision{Decision::Kind::wait, pending.front(), {}, false};
}

}  // namespace stagehand::core
