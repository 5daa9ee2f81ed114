#include "steps/probe/probe_runner.hpp"

#include <algorithm>

#include "os/net/http.hpp"
#include "os/net/tcp.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {

namespace {

constexpr std::size_t k_max_error = 300;  // bytes of one error line in the summary

bool status_ok(int status, const std::vector<std::pair<int, int>>& ranges) {
    if (ranges.empty()) {  // the loader fills the default; be safe if a caller did not
        return status >= 200 && status <= 399;
    }
    return std::any_of(ranges.begin(), ranges.end(),
                       [&](const auto& r) { return status >= r.first && status <= r.second; });
}

ProbeResult fail(std::string error) {
    return ProbeResult{false, std::move(error)};
}

}  // namespace

ProbeRunner::ProbeRunner(os::Clock& clock, os::Docker& docker, os::ProcessRunner& runner,
                         os::Resolver& resolver, std::string project,
                         std::vector<std::string> compose_services)
    : m_clock(clock),
      m_docker(docker),
      m_runner(runner),
      m_resolver(resolver),
      m_project(std::move(project)),
      m_compose_services(std::move(compose_services)) {}

ProbeResult ProbeRunner::attempt(const std::string& service, const core::Probe& probe,
                                 const std::vector<os::ContainerState>* containers,
                                 os::MonoTime deadline, const os::Cancel& cancel) {
    deadline = std::min(deadline, m_clock.now() + probe.timeout);
    ProbeResult result = run(service, probe, containers, deadline, cancel);
    if (!result.passed) {
        result.error =
            util::sanitize_line(result.error.empty() ? "failed" : result.error, k_max_error);
    }
    return result;
}

ProbeResult ProbeRunner::run(const std::string& service, const core::Probe& probe,
                             const std::vector<os::ContainerState>* containers,
                             os::MonoTime deadline, const os::Cancel& cancel) {
    switch (probe.kind) {
        case core::ProbeKind::http:
            return http(probe, containers, deadline, cancel);
        case core::ProbeKind::tcp:
            return tcp(probe, containers, deadline, cancel);
        case core::ProbeKind::command:
            return command(probe, deadline, cancel);
        case core::ProbeKind::healthy:
        case core::ProbeKind::running:
        case core::ProbeKind::log:
            break;
    }
    std::vector<os::ContainerState> fetched;
    if (containers == nullptr) {
        auto listed = fetch(deadline, cancel);
        if (!listed) {
            return fail(listed.error().message);
        }
        fetched = std::move(*listed);
        containers = &fetched;
    }
    const os::ContainerState* container = service_container(*containers, service);
    if (container == nullptr) {
        return fail("no container for service " + service);
    }
    const bool up = container->running && !container->restarting && container->status != "paused";
    if (probe.kind == core::ProbeKind::running) {
        return up ? ProbeResult{true, ""} : fail("container " + describe_state(*container));
    }
    if (probe.kind == core::ProbeKind::healthy) {
        if (container->health == "healthy") {
            return ProbeResult{true, ""};
        }
        if (!up) {
            return fail("container " + describe_state(*container));
        }
        return fail(container->health.empty() ? "container has no healthcheck"
                                              : "health: " + container->health);
    }
    return log(*container, probe, deadline, cancel);
}

util::Result<std::vector<os::ContainerState>> ProbeRunner::fetch(os::MonoTime deadline,
                                                                 const os::Cancel& cancel) {
    auto listed = m_docker.project_containers(m_project, deadline, cancel);
    if (!listed) {
        return util::Error{"docker: " + listed.error().message};
    }
    return listed;
}

util::Result<std::vector<os::IpAddress>> ProbeRunner::addresses(
    const std::string& host, const std::vector<os::ContainerState>* containers,
    os::MonoTime deadline, const os::Cancel& cancel) {
    if (auto literal = os::parse_ip_literal(host)) {
        return std::vector<os::IpAddress>{*literal};
    }
    const bool is_service = std::find(m_compose_services.begin(), m_compose_services.end(), host) !=
                            m_compose_services.end();
    std::vector<os::ContainerState> fetched;
    const os::ContainerState* c = containers ? service_container(*containers, host) : nullptr;
    // No snapshot, or a service it does not cover (the start loop's holds the planned ones).
    if (c == nullptr && (containers == nullptr || is_service)) {
        auto listed = fetch(deadline, cancel);
        if (!listed) {
            return listed.error();
        }
        fetched = std::move(*listed);
        c = service_container(fetched, host);
    }
    if (c != nullptr) {
        if (!c->running || c->restarting) {
            return util::Error{"service " + host + " is not running (" + describe_state(*c) + ")"};
        }
        // Host networking: the service listens on the host's own interfaces.
        if (c->host_network || c->ip_address.empty()) {
            return std::vector<os::IpAddress>{*os::parse_ip_literal("127.0.0.1")};
        }
        if (auto ip = os::parse_ip_literal(c->ip_address)) {
            return std::vector<os::IpAddress>{*ip};
        }
        return util::Error{"service " + host + " has an unusable address \"" + c->ip_address +
                           "\""};
    }
    if (is_service) {
        return util::Error{"service " + host + " has no container"};
    }
    return m_resolver.resolve(host, deadline, cancel);
}

ProbeResult ProbeRunner::tcp(const core::Probe& probe,
                             const std::vector<os::ContainerState>* containers,
                             os::MonoTime deadline, const os::Cancel& cancel) {
    auto found = addresses(probe.tcp.host, containers, deadline, cancel);
    if (!found) {
        return fail(found.error().message);
    }
    std::string first_error;
    for (const auto& address : *found) {
        auto sock = os::tcp_connect(address, probe.tcp.port, deadline, cancel);
        if (sock) {
            return ProbeResult{true, ""};
        }
        if (first_error.empty()) {
            first_error = sock.error().message;
        }
    }
    return fail(first_error);
}

ProbeResult ProbeRunner::http(const core::Probe& probe,
                              const std::vector<os::ContainerState>* containers,
                              os::MonoTime deadline, const os::Cancel& cancel) {
    const core::HostPort& target = probe.http.host_port;
    auto found = addresses(target.host, containers, deadline, cancel);
    if (!found) {
        return fail(found.error().message);
    }
    const os::HttpGet request{os::http_host_header(target.host, target.port),
                              probe.http.path_and_query.empty() ? "/" : probe.http.path_and_query};
    std::string first_error;
    for (const auto& address : *found) {
        auto response = os::http_get(address, target.port, request, deadline, cancel);
        if (!response) {
            if (first_error.empty()) {
                first_error = response.error().message;
            }
            continue;
        }
        if (!status_ok(response->status, probe.status_ranges)) {
            return fail("status " + std::to_string(response->status) + " (want " +
                        describe_statuses(probe.status_ranges) + ")");
        }
        if (!probe.body.empty() && response->body.find(probe.body) == std::string::npos) {
            return fail("status " + std::to_string(response->status) + " but the body" +
                        (response->body_truncated ? " (first 64 KiB)" : "") + " does not contain " +
                        util::sanitize_line(probe.body, 80));
        }
        return ProbeResult{true, ""};
    }
    return fail(first_error);
}

std::string describe_statuses(const std::vector<std::pair<int, int>>& ranges) {
    if (ranges.empty()) {
        return "200-399";
    }
    std::string out;
    for (const auto& [low, high] : ranges) {
        out += (out.empty() ? "" : ", ") + std::to_string(low);
        if (high != low) {
            out += "-" + std::to_string(high);
        }
    }
    return out;
}

}  // namespace stagehand::steps
