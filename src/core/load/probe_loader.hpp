#pragma once
// Reads a probe (SPEC section 4) from a map of stagehand.yml: startup.per_service.*.ready and
// the entries of validate.checks.

#include <string>
#include <vector>

#include "core/load/yaml_access.hpp"
#include "core/model/probe.hpp"

namespace stagehand::core::yaml {

// The keys a probe map may hold: the six kinds plus status, body and timeout.
std::vector<std::string> probe_keys();

// The probe in `map` (whose unknown-key check used probe_keys()). Exactly one kind is
// required, except with `allow_none`: then a map without a kind gives a `running` probe and
// sets `*defaulted` (validate.checks: "running, and healthy where it has a healthcheck").
// Fails on two kinds (naming both), bad URLs, HOST:PORT, status codes, a regex that does not
// compile, an empty command, and status/body on a probe that is not http.
Probe read_probe(const MapReader& map, bool allow_none, bool* defaulted);

}  // namespace stagehand::core::yaml
