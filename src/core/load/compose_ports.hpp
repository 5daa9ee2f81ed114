#pragma once
// The container-side TCP ports a compose service declares (`expose`, and the container side
// of `ports`), which inferred readiness waits for it to listen on (SPEC section 5).

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/load/yaml_access.hpp"

namespace stagehand::core::load {

// One short-syntax entry, as compose writes them:
//   "3000"  "8000-8002"  "8080:80"  "127.0.0.1:8001:8001"  "[::1]:6001:6001"
//   "127.0.0.1::5000"  "6060:6060/udp"  "9090-9091:8080-8081/tcp"
// Returns the container ports; none for UDP/SCTP, for text that is not a port (an unresolved
// "${PORT}"), and for ranges wider than 16 ports (a service is not expected to listen on a
// whole published range before it counts as ready).
std::vector<std::uint16_t> parse_container_ports(std::string_view spec);

// `expose` and `ports` of one service (short and long syntax), sorted and unique. Malformed
// entries are skipped rather than rejected: compose itself validates them at `up`, and
// stagehand only uses them to know what to wait for.
std::vector<std::uint16_t> read_container_ports(const yaml::MapReader& service);

}  // namespace stagehand::core::load
