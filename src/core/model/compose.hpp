#pragma once
// What stagehand needs to know of a compose file: services in file order, their images,
// dependencies, healthcheck presence and memory settings.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/types.hpp"

namespace stagehand::core {

enum class DependsCondition { service_started, service_healthy, service_completed_successfully };

struct Dependency {
    std::string service;
    DependsCondition condition = DependsCondition::service_started;
    SourceMark mark;
};

struct ComposeService {
    std::string name;
    std::string image;  // empty when the service only has `build`
    bool has_build = false;
    std::vector<Dependency> depends_on;
    bool has_healthcheck = false;    // a healthcheck that is not `disable: true`
    std::optional<Bytes> mem_limit;  // mem_limit or deploy.resources.limits.memory
    std::optional<Bytes>
        mem_reservation;  // mem_reservation or deploy.resources.reservations.memory
    // Container-side TCP ports from `expose` and `ports`, sorted: inferred readiness waits
    // for the container to listen on all of them.
    std::vector<std::uint16_t> ports;
    std::optional<std::string> cgroup_parent;
    std::optional<std::string> restart;
    SourceMark mark;  // where the service's key is
    // `profiles`: a service with profiles is only started when one of them is enabled.
    std::vector<std::string> profiles;
};

struct ComposeFile {
    std::string path;                      // absolute
    std::optional<std::string> name;       // top-level `name`
    std::vector<ComposeService> services;  // in file order
    // Values of `environment` entries: never printed (SPEC section 2, "Secrets never appear").
    std::vector<std::string> secret_values;

    const ComposeService* find(const std::string& service) const;
};

}  // namespace stagehand::core
