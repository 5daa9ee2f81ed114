#include "steps/start/container_watch.hpp"

#include <algorithm>
#include <cerrno>

#include "core/gate/gate.hpp"

namespace stagehand::steps {

ContainerWatch::ContainerWatch(const core::StartPlan& plan, std::string project, Context& context,
                               os::Docker& docker, os::ContainerMemory& memory,
                               os::OomCounterReader* oom_counters)
    : m_plan(plan),
      m_project(std::move(project)),
      m_context(context),
      m_docker(docker),
      m_memory(memory),
      m_previous_ids(plan.services.size()),
      m_was_running(plan.services.size(), false),
      m_states(plan.services.size()),
      m_oom(oom_counters, context.log) {}

std::optional<std::size_t> ContainerWatch::index_of_service(const std::string& name) const {
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        if (m_plan.services[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

util::Status ContainerWatch::begin(core::Snapshot& snapshot) {
    // Subscribe first, then list: an event between the two is seen twice, never missed.
    auto events = m_docker.events(m_project, m_context.cancel);
    if (!events) {
        return events.error();
    }
    m_events = std::move(*events);
    auto containers = m_docker.project_containers(m_project, m_context.deadline, m_context.cancel);
    if (!containers) {
        return containers.error();
    }
    for (const auto& dependency : m_plan.external_dependencies) {
        snapshot.external_running[dependency] = false;
    }
    for (const auto& container : *containers) {
        if (snapshot.external_running.count(container.service) != 0) {
            snapshot.external_running[container.service] =
                snapshot.external_running[container.service] ||
                (container.running && !container.restarting);
        }
        if (auto index = index_of_service(container.service)) {
            m_previous_ids[*index] = container.id;
            m_was_running[*index] = container.running && !container.restarting;
            m_states[*index] = container;
        }
    }
    return {};
}

int ContainerWatch::event_fd() const {
    return m_events ? m_events->fd() : -1;
}

void ContainerWatch::apply_state(std::size_t service, const os::ContainerState& state,
                                 core::Snapshot& snapshot) {
    auto& facts = snapshot.services[service];
    m_states[service] = state;
    facts.exists = true;
    facts.running = state.running;
    facts.restarting = state.restarting;
    facts.exited = state.has_exited();
    // What killed a container that died by SIGKILL: the kernel's counters decide (core/oom),
    // not Docker's OOMKilled flag (missing for system-wide kills, set on v1 bystanders). Once
    // an OOM kill, it stays one: a container restarted by its policy was still hit.
    const core::OomVerdict verdict = m_oom.observe(state, snapshot.now);
    if (!facts.oom_killed()) {
        facts.oom = verdict;
    }
    facts.exit_code = state.exit_code;
    facts.health = state.health;
}

util::Result<int> ContainerWatch::apply_events(core::Snapshot& snapshot) {
    if (!m_events) {
        return 0;
    }
    int ooms = 0;
    // Service index -> the container its latest event named: one inspect per touched service.
    std::map<std::size_t, std::string> touched;
    for (const auto& event : m_events->take_events()) {
        const auto index = index_of_service(event.service);
        if (!index || snapshot.services[*index].phase == core::Phase::pending) {
            continue;  // not ours, or a container we have not started (e.g. being replaced)
        }
        if (event.container_id == m_previous_ids[*index] &&
            m_states[*index].id != m_previous_ids[*index]) {
            continue;  // the container this run replaced, going away
        }
        if (event.action.rfind("health_status", 0) == 0) {
            snapshot.services[*index].health = event.health;
        }
        touched[*index] = event.container_id;
    }
    for (const auto& [index, container_id] : touched) {
        const bool was_oom = snapshot.services[index].oom_killed();
        auto status = refresh(index, snapshot, container_id);
        ooms += !was_oom && snapshot.services[index].oom_killed() ? 1 : 0;
        if (!status) {
            m_context.log.debug(m_plan.services[index].name, status.error().message);
        }
    }
    if (m_events->finished()) {
        m_events.reset();
        return util::Error{"the Docker event stream ended: is the Docker daemon still running?"};
    }
    return ooms;
}

util::Status ContainerWatch::refresh_all(core::Snapshot& snapshot) {
    auto listed = m_docker.list_containers(m_project, m_context.deadline, m_context.cancel);
    if (!listed) {
        return listed.error();
    }
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        if (snapshot.services[i].phase == core::Phase::pending) {
            continue;
        }
        const auto current = std::find_if(listed->begin(), listed->end(),
                                          [&](const auto& c) { return c.id == m_states[i].id; });
        const bool newer = std::any_of(listed->begin(), listed->end(), [&](const auto& c) {
            return c.service == m_plan.services[i].name && c.id != m_states[i].id &&
                   c.id != m_previous_ids[i];
        });
        if (current != listed->end() && !newer && current->status == m_states[i].status) {
            continue;  // as the events left it
        }
        if (auto status = refresh(i, snapshot); !status) {
            return status;
        }
    }
    return {};
}

util::Status ContainerWatch::refresh(std::size_t service, core::Snapshot& snapshot,
                                     const std::string& container_id) {
    if (!container_id.empty()) {
        auto state = m_docker.inspect(container_id, m_context.deadline, m_context.cancel);
        if (state) {
            apply_state(service, *state, snapshot);
            return {};
        }
        if (state.error().code != ENOENT) {
            return state.error();
        }
        // Removed since the event: find what the service has now.
    }
    auto containers = m_docker.project_containers(m_project, m_context.deadline, m_context.cancel);
    if (!containers) {
        return containers.error();
    }
    const auto& name = m_plan.services[service].name;
    const os::ContainerState* newest = nullptr;
    for (const auto& container : *containers) {
        // During a recreate two containers can exist for a moment; the one that is not the
        // previous container is the new one.
        if (container.service == name &&
            (newest == nullptr || container.id != m_previous_ids[service])) {
            newest = &container;
        }
    }
    if (newest == nullptr) {
        snapshot.services[service].exists = false;
        return util::Error{"no container for service " + name + " in project " + m_project};
    }
    apply_state(service, *newest, snapshot);
    return {};
}

core::Bytes ContainerWatch::current_usage(std::size_t service) {
    if (m_states[service].pid <= 0) {
        return 0;
    }
    auto usage = m_memory.usage(m_states[service].pid);
    return usage ? *usage : 0;
}

void ContainerWatch::sample_containers(core::Snapshot& snapshot,
                                       const std::function<bool(std::size_t)>& due) {
    m_oom.tick(snapshot.now, snapshot.available);
    for (std::size_t i = 0; i < m_plan.services.size(); ++i) {
        auto& facts = snapshot.services[i];
        const int pid = m_states[i].pid;
        if (facts.phase == core::Phase::pending || pid <= 0 || !facts.running) {
            continue;
        }
        m_oom.observe(m_states[i], snapshot.now);
        if (!due(i)) {
            continue;
        }
        auto usage = m_memory.usage(pid);
        if (!usage) {
            // The container may have just exited: an expected race, not an error.
            m_context.log.debug(m_plan.services[i].name, usage.error().message);
            continue;
        }
        facts.memory.push_back({snapshot.now, *usage});
        facts.peak = std::max(facts.peak, *usage);
        // Sampling misses short peaks (144 MiB sampled against a true 160): the kernel's
        // high-water mark does not. Where the kernel has none, the samples stand.
        if (auto peak = m_memory.peak(pid); peak && *peak) {
            facts.peak = std::max(facts.peak, **peak);
        }
        // Keep a little more than the settle window.
        while (facts.memory.size() > 2 &&
               facts.memory[1].at < snapshot.now - m_plan.settle - m_plan.poll * 4) {
            facts.memory.pop_front();
        }
        if (facts.phase == core::Phase::starting &&
            m_plan.services[i].ready_by == core::ReadySignal::inferred) {
            sample_readiness(i, facts, snapshot.now);
        }
    }
}

void ContainerWatch::sample_readiness(std::size_t service, core::ServiceState& facts,
                                      core::Millis now) {
    const int pid = m_states[service].pid;
    const auto& name = m_plan.services[service].name;
    if (!facts.cpu_unknown) {
        if (auto used = m_memory.cpu_usage_ns(pid)) {
            if (!facts.cpu.empty() && facts.cpu.back().at == now) {
                facts.cpu.pop_back();  // sampled twice at one instant (re-read before a start)
            }
            facts.cpu.push_back({now, *used});
            // The front stays the newest sample at least one CPU window old.
            while (facts.cpu.size() > 2 && facts.cpu[1].at <= now - core::k_cpu_window) {
                facts.cpu.pop_front();
            }
        } else if (used.error().code != ESRCH) {
            facts.cpu_unknown = true;
            m_context.log.debug(name,
                                "CPU time unreadable, readiness waits for settled memory "
                                "instead: " +
                                    used.error().message);
        }
    }
    // The scan costs a readlink per open file and a table read per namespace: only worth it
    // once the CPU has gone quiet, since a busy service is not ready whatever it listens on.
    if (!facts.cpu_unknown && !core::quiet_lately(facts, m_plan.quiet)) {
        return;
    }
    if (auto ports = m_memory.listening_ports(pid)) {
        facts.listening = std::move(*ports);
    } else if (ports.error().code != ESRCH) {
        if (facts.listening) {
            m_context.log.debug(name, "listening ports unreadable: " + ports.error().message);
        }
        facts.listening.reset();
    }
}

}  // namespace stagehand::steps
