#pragma once
// Internal to the compose loader: checks that need every service read first.

#include <map>
#include <string>

#include "core/load/yaml_access.hpp"
#include "core/model/compose.hpp"

namespace stagehand::core::load {

// `extends` of one service (same file only; another file is not followed).
struct Extends {
    std::string service;           // empty: the service extends nothing
    bool other_file = false;       // `extends.file` set: the base is not visible here
    bool healthcheck_set = false;  // the service has its own `healthcheck` (even disabled)
    SourceMark mark;
};

// Copies image, build, healthcheck and memory settings from the `extends` base where the
// service does not set them, then requires image or build of every service (unless its base
// is in another file). `extends` is indexed by service name.
void resolve_extends(const yaml::Source& source, ComposeFile& compose,
                     const std::map<std::string, Extends>& extends);

// Every depends_on target exists and the graph has no cycle.
void check_dependencies(const yaml::Source& source, const ComposeFile& compose);

}  // namespace stagehand::core::load
