#include "core/plan/plan.hpp"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_map>

#include "core/model/diagnostic.hpp"

namespace stagehand::core {

const char* to_string(NeedSource source) {
    switch (source) {
        case NeedSource::declared:
            return "declared";
        case NeedSource::learned:
            return "learned";
        case NeedSource::compose_reservation:
            return "compose reservation";
        case NeedSource::default_guess:
            return "default";
    }
    return "?";
}

const char* to_string(ReadySignal signal) {
    switch (signal) {
        case ReadySignal::probe:
            return "probe";
        case ReadySignal::healthcheck:
            return "healthcheck";
        case ReadySignal::inferred:
            return "inferred";
    }
    return "?";
}

const char* to_string(Gate gate) {
    switch (gate) {
        case Gate::adaptive:
            return "adaptive";
        case Gate::sleep:
            return "sleep";
        case Gate::none:
            return "none";
    }
    return "?";
}

std::vector<std::string> start_order(const ComposeFile& compose, const StartupConfig& startup) {
    if (!startup.services.empty()) {
        return startup.services;
    }
    // Kahn's algorithm, always taking the earliest service in file order whose dependencies
    // are placed, so ties keep the order the operator wrote: a min-heap of the file positions
    // whose dependencies are all placed, O((services + dependencies) log services). Cycles
    // were rejected by the loader; anything left over is appended in file order as a safety
    // net (a dependency on a service not in the file is never placed).
    const auto& services = compose.services;
    std::unordered_map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < services.size(); ++i) {
        position.emplace(services[i].name, i);
    }
    std::vector<std::size_t> waiting_on(services.size(), 0);
    std::vector<std::vector<std::size_t>> dependents(services.size());
    for (std::size_t i = 0; i < services.size(); ++i) {
        for (const auto& dependency : services[i].depends_on) {
            ++waiting_on[i];
            if (auto it = position.find(dependency.service); it != position.end()) {
                dependents[it->second].push_back(i);
            }
        }
    }
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> placeable;
    for (std::size_t i = 0; i < services.size(); ++i) {
        if (waiting_on[i] == 0) {
            placeable.push(i);
        }
    }
    std::vector<std::string> order;
    std::vector<bool> placed(services.size(), false);
    while (!placeable.empty()) {
        const std::size_t next = placeable.top();
        placeable.pop();
        order.push_back(services[next].name);
        placed[next] = true;
        for (const std::size_t dependent : dependents[next]) {
            if (--waiting_on[dependent] == 0) {
                placeable.push(dependent);
            }
        }
    }
    for (std::size_t i = 0; i < services.size(); ++i) {
        if (!placed[i]) {
            order.push_back(services[i].name);
        }
    }
    return order;
}

Bytes learned_need(Bytes peak, double learn_margin) {
    return peak + static_cast<Bytes>(static_cast<double>(peak) * learn_margin / 100.0);
}

void compute_critical_paths(StartPlan& plan) {
    // The plan is in dependency order (dependencies first), so walking it backwards sees
    // every dependent before the services it depends on: one pass, O(services + edges).
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        index.emplace(plan.services[i].name, i);
        plan.services[i].critical_path = plan.services[i].learned_time_to_ready;
    }
    for (std::size_t i = plan.services.size(); i-- > 0;) {
        const auto& dependent = plan.services[i];
        for (const auto& dep : dependent.depends_on) {
            if (auto it = index.find(dep.service); it != index.end() && it->second < i) {
                auto& base = plan.services[it->second];
                base.critical_path = std::max(base.critical_path,
                                              base.learned_time_to_ready + dependent.critical_path);
            }
        }
    }
    // What its readiness unlocks per second of its own start (see unlock_rate in plan.hpp).
    for (auto& service : plan.services) {
        const auto own = service.learned_time_to_ready.count();
        service.unlock_rate = own > 0 ? static_cast<double>(service.critical_path.count() - own) /
                                            static_cast<double>(own)
                                      : 0.0;
    }
}

namespace {

void need_for(const ServiceOverrides* overrides, const ComposeService& service,
              const Profiles& profiles, const StartupConfig& startup, ServicePlan& plan) {
    if (overrides != nullptr && overrides->need) {
        plan.need = *overrides->need;
        plan.need_source = NeedSource::declared;
    } else if (auto it = profiles.find(service.name); it != profiles.end() && it->second.peak > 0) {
        plan.need = learned_need(it->second.peak, startup.learn_margin);
        plan.need_source = NeedSource::learned;
    } else if (service.mem_reservation) {
        plan.need = *service.mem_reservation;
        plan.need_source = NeedSource::compose_reservation;
    } else {
        plan.need = startup.default_need;
        plan.need_source = NeedSource::default_guess;
    }
}

ServicePlan plan_service(const ComposeService& service, const ComposeFile& compose,
                         const Profiles& profiles, const StartupConfig& startup) {
    ServicePlan plan;
    plan.name = service.name;
    plan.image = service.image;
    plan.depends_on = service.depends_on;
    plan.has_healthcheck = service.has_healthcheck;
    plan.ports = service.ports;
    if (auto learned = profiles.find(service.name); learned != profiles.end()) {
        plan.learned_time_to_ready = std::max(Millis(0), learned->second.time_to_ready);
    }
    const auto it = startup.per_service.find(service.name);
    const ServiceOverrides* overrides = it == startup.per_service.end() ? nullptr : &it->second;
    need_for(overrides, service, profiles, startup, plan);
    if (overrides != nullptr && overrides->ready) {
        plan.ready = overrides->ready;
        plan.ready_by = ReadySignal::probe;
    } else if (service.has_healthcheck) {
        plan.ready_by = ReadySignal::healthcheck;
    }
    plan.timeout =
        overrides != nullptr && overrides->timeout ? *overrides->timeout : startup.timeout;
    plan.on_timeout =
        overrides != nullptr && overrides->on_timeout ? *overrides->on_timeout : startup.on_timeout;
    for (const auto& other : compose.services) {
        for (const auto& dep : other.depends_on) {
            if (dep.service == service.name &&
                dep.condition == DependsCondition::service_completed_successfully) {
                plan.one_shot = true;
            }
        }
    }
    return plan;
}

// Built field by field: GCC 12 at -O3 reports a false maybe-uninitialized on the braced
// aggregate form inside a throw expression.
InputError selection_error(const std::string& file, const std::string& key,
                           const std::string& message) {
    Diagnostic diagnostic;
    diagnostic.at.file = file;
    diagnostic.key = key;
    diagnostic.message = message;
    return InputError(std::move(diagnostic));
}

void check_selection_names(const ComposeFile& compose, const Selection& selection) {
    std::vector<std::pair<std::string, std::string>> named;  // (service, option)
    for (const auto& name : selection.only) {
        named.emplace_back(name, "--only");
    }
    if (selection.from) {
        named.emplace_back(*selection.from, "--from");
    }
    for (const auto& [name, option] : named) {
        if (compose.find(name) == nullptr) {
            throw selection_error(compose.path, option,
                                  "unknown service \"" + name + "\" (not in " + compose.path + ")");
        }
    }
}

}  // namespace

StartPlan plan_start(const Config& config, const ComposeFile& compose, const Profiles& profiles,
                     const Selection& selection) {
    check_selection_names(compose, selection);
    const auto& startup = config.startup;
    auto order = start_order(compose, startup);
    if (selection.from) {
        auto it = std::find(order.begin(), order.end(), *selection.from);
        if (it == order.end()) {
            throw selection_error(
                config.path, "--from",
                "service \"" + *selection.from + "\" is not in the start order (startup.services)");
        }
        order.erase(order.begin(), it);
    }
    if (!selection.only.empty()) {
        std::erase_if(order, [&](const std::string& name) {
            return std::find(selection.only.begin(), selection.only.end(), name) ==
                   selection.only.end();
        });
    }
    StartPlan plan;
    plan.gate = startup.gate;
    plan.sleep = startup.sleep;
    plan.concurrency = startup.concurrency;
    plan.max_concurrency = startup.max_concurrency;
    plan.quiet = startup.quiet;
    plan.reserve = startup.reserve;
    plan.default_need = startup.default_need;
    plan.settle = startup.settle;
    plan.psi = startup.psi;
    plan.poll = startup.poll;
    std::set<std::string> selected(order.begin(), order.end());
    std::set<std::string> external;
    std::unordered_map<std::string, const ComposeService*> by_name;
    for (const auto& service : compose.services) {
        by_name.emplace(service.name, &service);
    }
    for (const auto& name : order) {
        const auto* service = by_name.at(name);
        plan.services.push_back(plan_service(*service, compose, profiles, startup));
        for (const auto& dep : service->depends_on) {
            if (selected.count(dep.service) == 0) {
                external.insert(dep.service);
            }
        }
    }
    plan.external_dependencies.assign(external.begin(), external.end());
    // An explicit startup.services list is the priority order itself (SPEC section 5).
    if (startup.services.empty()) {
        compute_critical_paths(plan);
    }
    return plan;
}

}  // namespace stagehand::core
