#pragma once
// One attempt of a readiness / validation probe (SPEC section 4) against the live project.
// Used by validate-service and by the start gate's `ready` probes.

#include <string>
#include <string_view>
#include <vector>

#include "core/model/probe.hpp"
#include "os/docker/docker.hpp"
#include "os/net/resolver.hpp"
#include "os/process/process.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"

namespace stagehand::steps {

struct ProbeResult {
    bool passed = false;
    // Why it failed: one short line for the summary ("status 500 (want 200-399)",
    // "connect to 172.18.0.4:9092: Connection refused"). Empty when passed.
    std::string error;
};

// The seam between the steps and the probes; tests pass scripted fakes.
class Prober {
  public:
    virtual ~Prober() = default;
    // Runs one attempt of `probe` for `service`. It ends by `deadline` and by now +
    // probe.timeout, whichever is first. `containers`: a snapshot of the project's containers
    // the caller took for this round (saves a Docker call), or null to take a fresh one.
    // Names are resolved at every attempt, never cached.
    virtual ProbeResult attempt(const std::string& service, const core::Probe& probe,
                                const std::vector<os::ContainerState>* containers,
                                os::MonoTime deadline, const os::Cancel& cancel) = 0;
};

// The real prober. http/tcp: a host that is a compose service name means that service's
// container address (its first network's IP; 127.0.0.1 with host networking); literals,
// localhost, /etc/hosts and DNS go through `resolver`. healthy/running/log read the
// service's container; command runs argv (no shell) and passes on exit 0.
// Thread-safe as long as the adapters are (attempts of several checks run concurrently).
class ProbeRunner final : public Prober {
  public:
    // `clock` must be the real one (the network deadlines are on steady_clock).
    // `compose_services`: every service of the compose file, so a probe naming a service
    // that has no container fails with that reason instead of a DNS error.
    ProbeRunner(os::Clock& clock, os::Docker& docker, os::ProcessRunner& runner,
                os::Resolver& resolver, std::string project,
                std::vector<std::string> compose_services = {});

    ProbeResult attempt(const std::string& service, const core::Probe& probe,
                        const std::vector<os::ContainerState>* containers, os::MonoTime deadline,
                        const os::Cancel& cancel) override;

  private:
    ProbeResult run(const std::string& service, const core::Probe& probe,
                    const std::vector<os::ContainerState>* containers, os::MonoTime deadline,
                    const os::Cancel& cancel);
    ProbeResult http(const core::Probe& probe, const std::vector<os::ContainerState>* containers,
                     os::MonoTime deadline, const os::Cancel& cancel);
    ProbeResult tcp(const core::Probe& probe, const std::vector<os::ContainerState>* containers,
                    os::MonoTime deadline, const os::Cancel& cancel);
    ProbeResult log(const os::ContainerState& container, const core::Probe& probe,
                    os::MonoTime deadline, const os::Cancel& cancel);
    ProbeResult command(const core::Probe& probe, os::MonoTime deadline, const os::Cancel& cancel);
    // Addresses for a probe host: literal, service container, or the resolver.
    util::Result<std::vector<os::IpAddress>> addresses(
        const std::string& host, const std::vector<os::ContainerState>* containers,
        os::MonoTime deadline, const os::Cancel& cancel);
    util::Result<std::vector<os::ContainerState>> fetch(os::MonoTime deadline,
                                                        const os::Cancel& cancel);

    os::Clock& m_clock;
    os::Docker& m_docker;
    os::ProcessRunner& m_runner;
    os::Resolver& m_resolver;
    std::string m_project;
    std::vector<std::string> m_compose_services;
};

// The container that stands for `service` among `containers`: a running one first, else
// the most recently started. Null when the service has none.
const os::ContainerState* service_container(const std::vector<os::ContainerState>& containers,
                                            std::string_view service);

// "running", "exited 137 (OOMKilled)", "restarting (exit 1, 3 restarts)", "created", ...
std::string describe_state(const os::ContainerState& container);

// "200-399", "200, 204": the accepted statuses as the config wrote them.
std::string describe_statuses(const std::vector<std::pair<int, int>>& ranges);

}  // namespace stagehand::steps
