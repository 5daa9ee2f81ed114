#pragma once
// The parts of CodeDeploy's appspec.yml that stagehand reads: the hook entries (for the
// deadline) and the files section (to know the copy destinations).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/types.hpp"

namespace stagehand::core {

struct AppspecHook {
    std::string location;
    int timeout_seconds = 3600;  // agent default when absent
    std::optional<std::string> runas;
    SourceMark mark;
};

struct AppspecFile {
    std::string source;
    std::string destination;
};

struct Appspec {
    std::string path;
    std::string os;
    std::string file_exists_behavior = "DISALLOW";
    std::vector<AppspecFile> files;
    std::map<std::string, std::vector<AppspecHook>> hooks;  // by lifecycle event name

    // The entry for `event` whose location names `executable_relative` (bundle-relative
    // path of the running executable), or nullptr. Paths are compared normalised.
    const AppspecHook* find_hook(const std::string& event,
                                 const std::string& executable_relative) const;
};

// "./hooks//x" -> "hooks/x": a location as the agent resolves it under the bundle root (pure
// string work, no file system access; ".." cannot climb above the root).
std::string normalise_location(const std::string& location);

}  // namespace stagehand::core
