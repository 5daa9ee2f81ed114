#include "steps/start/container_starter.hpp"

#include <cerrno>

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
        // A refusal (EIO: HTTP 500) goes back to the start loop, which retries it once.
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
