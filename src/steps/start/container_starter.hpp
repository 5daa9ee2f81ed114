#pragma once
// The start loop's os::Compose for a boot (SPEC section 11): starts the containers the last
// deployment created, through the Engine API, instead of `compose up`. At boot they exist
// already, stopped, configured as compose made them; running compose again would need the
// revision's folder (the agent deletes old ones) and could recreate them.

#include <chrono>
#include <string>
#include <vector>

#include "os/docker/docker.hpp"
#include "util/log.hpp"

namespace stagehand::steps {

class ContainerStarter final : public os::Compose {
  public:
    // `retry_after`: the pause before the one retry of a start Docker refused (up_service).
    ContainerStarter(os::Docker& docker, std::string project, util::Log& log,
                     std::chrono::milliseconds retry_after = std::chrono::seconds(2))
        : m_docker(docker), m_project(std::move(project)), m_log(log), m_retry_after(retry_after) {}

    std::string describe() const override { return "the Engine API (recorded containers)"; }
    // Starts the project's container of `service` (one already running is left alone). A
    // start Docker refuses with a server error is retried once, `retry_after` later, with a
    // warning. Error: the service has no container (removed since the deployment), or Docker
    // refused twice.
    util::Status up_service(const std::string& service, os::MonoTime deadline,
                            const os::Cancel& cancel) override;
    // Stops each service's running containers, in the order given; `timeout_seconds` is
    // ignored: each container's own stop timeout (compose's stop_grace_period) applies.
    util::Status stop_services(const std::vector<std::string>& services, int timeout_seconds,
                               os::MonoTime deadline, const os::Cancel& cancel) override;

  private:
    os::Docker& m_docker;
    std::string m_project;
    util::Log& m_log;
    std::chrono::milliseconds m_retry_after;
};

}  // namespace stagehand::steps
