#pragma once
// Everything a hook reads before it changes anything: the bundle, stagehand.yml, the compose
// file, appspec.yml. Loading validates all of it (exit 2 on the first error, nothing changed).

#include <optional>
#include <string>

#include "core/model/appspec.hpp"
#include "core/model/compose.hpp"
#include "core/model/config.hpp"
#include "runtime/cli.hpp"

namespace stagehand::runtime {

struct Bundle {
    std::string root;        // absolute
    std::string executable;  // the running executable, bundle-relative when inside it
};

struct Inputs {
    Bundle bundle;
    core::Config config;
    bool config_found = false;
    core::ComposeFile compose;
    std::optional<core::Appspec> appspec;
    std::string project;         // compose project name
    std::string project_source;  // why this name ("compose.project", "APPLICATION_NAME", ...)
};

// --bundle, else the nearest ancestor of the executable's real path holding appspec.yml,
// else the current directory.
Bundle locate_bundle(const Options& options);

// Throws core::InputError on any invalid input.
Inputs load_inputs(const Options& options);

// startup.memory_source cgroup:<folder>: the folder must exist and be a memory cgroup. Reads
// the host (never changes it), so --dry-run refuses what the real run would. Throws
// core::InputError at the memory_source line.
void check_memory_source(const core::Config& config);

// Compose's own normalisation of a project name: lowercase, only [a-z0-9_-].
std::string normalise_project_name(const std::string& name);

}  // namespace stagehand::runtime
