#pragma once
// The start loop's os::Compose for a boot (SPEC section 11): starts the containers the last
// deployment created, through the Engine API, instead of `compose up`. At boot they exist
// already, stopped, configured as compose made them; running compose again would need the
// revision's folder (the agent deletes old ones) and could recreate them.

#include <string>
#include <vector>

#include "os/docker/docker.hpp"

namespace stagehand::steps {

class ContainerStarter final : public os::Compose {
  public:
    ContainerStarter(os::Docker& docker, std::string project)
        : m_docker(docker), m_project(std::move(project)) {}

    std::string describe() const override { return "the Engine API (recorded containers)"; }
    // Starts the project's container of `service` (one already running is left alone). Error:
    // the service has no container (removed since the deployment), or Docker refused the start
    // (EIO for a server error, which the start loop retries once).
    util::Status up_service(const std::string& service, os::MonoTime deadline,
                            const os::Cancel& cancel) override;
    // Stops each service's running containers, in the order given; `timeout_seconds` is
    // ignored: each container's own stop timeout (compose's stop_grace_period) applies.
    util::Status stop_services(const std::vector<std::string>& services, int timeout_seconds,
                               os::MonoTime deadline, const os::Cancel& cancel) override;

  private:
    os::Docker& m_docker;
    std::string m_project;
};

}  // namespace stagehand::steps
