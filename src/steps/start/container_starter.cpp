#include "steps/start/container_starter.hpp"

#include <algorithm>
#include <cerrno>

#include "os/sys/wait.hpp"
#include "util/units_text.hpp"

namespace stagehand::steps {

util::Status ContainerStarter::up_service(const std::string& service, os::MonoTime deadline,
                                          const os::Cancel& cancel) {
    auto containers = m_docker.list_containers(m_project, deadline, cancel);
    if (!containers) {
        return containers.error();
    }
    for (const auto& container : *containers) {
        if (container.service != service) {
            continue;
        }
        auto started = m_docker.start_container(container.id, deadline, cancel);
        // A server error (EIO: HTTP 500) at boot can be transient: seen in the VM after a power
        // cut, runc's "waiting for init preliminary setup: read init-p: connection reset by
        // peer" (Docker 26.1, memory pressure) failed one start and with it the whole boot;
        // the same start a moment later works. Docker's own restart policies retry for the
        // same reason. Once only: a refusal that lasts is the answer.
        if (started || started.error().code != EIO) {
            return started;
        }
        m_log.warn(service, "Docker refused the start (" + started.error().message +
                                "): retrying the start once in " +
                                util::format_seconds(m_retry_after));
        const auto retry_at = std::min(deadline, os::MonoTime::clock::now() + m_retry_after);
        if (auto paused = os::wait_any({}, retry_at, cancel);
            !paused && paused.error().code == ECANCELED) {
            return paused;
        }
        return m_docker.start_container(container.id, deadline, cancel);
    }
    return util::Error{"no container of service " + service + " in project " + m_project +
                           " (removed since the last deployment?); deploy again to recreate it",
                       ENOENT};
}

util::Status ContainerStarter::stop_services(const std::vector<std::string>& services,
                                             int /*timeout_seconds*/, os::MonoTime deadline,
                                             const os::Cancel& cancel) {
    auto containers = m_docker.list_containers(m_project, deadline, cancel);
    if (!containers) {
        return containers.error();
    }
    for (const auto& service : services) {
        for (const auto& container : *containers) {
            if (container.service != service || !(container.running || container.restarting)) {
                continue;
            }
            if (auto stopped = m_docker.stop_container(container.id, deadline, cancel); !stopped) {
                return stopped;
            }
        }
    }
    return {};
}

}  // namespace stagehand::steps
