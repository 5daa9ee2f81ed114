#pragma once
// A whole in-place deployment as codedeploy-local and the agent's CommandExecutor run it, over
// the agent's on-disk layout:
//   <root>/<group-id>/<deployment-id>/deployment-archive/   the revision (copied from --bundle)
//   <root>/<group-id>/<deployment-id>/logs/scripts.log
//   <root>/deployment-instructions/<group-id>-cleanup        what the last Install created
//   <root>/deployment-instructions/<group-id>-install.json
//   <root>/deployment-instructions/<group-id>_last_successful_install   (a deployment root)
//   <root>/deployment-instructions/<group-id>_most_recent_install
// As in the agent, "last successful" is written when the Install step succeeds, and
// ApplicationStop (and the BlockTraffic events) run the scripts of that revision with its
// appspec; with none recorded they are skipped.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/command.hpp"

namespace stagehand::agent {

struct DeployOptions {
    std::filesystem::path bundle;  // the revision folder (holds appspec.yml)
    std::filesystem::path
        root;  // the agent's root_dir (default /opt/codedeploy-agent/deployment-root)
    std::string application;
    std::string group;
    std::string group_id;       // default: the group name
    std::string deployment_id;  // default: d-XXXXXXXXX-local, unique under the group folder
    AgentVersion agent = AgentVersion::v1;
    std::optional<std::string> stop_after;  // stop (successfully) after this event
    bool print_output = false;
    std::optional<int> hard_kill_after_s;
    std::string file_exists_behavior = "DISALLOW";  // the deployment's, when appspec has none
    std::vector<std::string> env_extras;            // "K=V" added to every hook's environment
};

struct EventRecord {
    std::string event;
    std::string status;  // Succeeded | Failed | Skipped
    std::string note;    // why skipped, or which revision ran it
    std::int64_t duration_ms = 0;
    int scripts = 0;  // scripts run
};

struct DeploySummary {
    std::string deployment_id;
    std::string application;
    std::string group;
    std::string group_id;
    std::string status = "Succeeded";  // Succeeded | Failed
    std::optional<std::string> failed_event;
    std::optional<std::string> failed_script;
    int error_code = 0;  // the agent's code for the failure (see AgentError)
    std::string error;
    std::filesystem::path deployment_root;
    std::filesystem::path archive;
    std::optional<std::filesystem::path> previous_root;  // whose scripts ApplicationStop ran
    std::vector<EventRecord> events;
    std::optional<std::string> stopped_after;
    std::int64_t duration_ms = 0;
};

// Lifecycle events in codedeploy-local's order; DownloadBundle and Install are the agent's own.
const std::vector<std::string>& lifecycle_events();

using Emit = std::function<void(const nlohmann::ordered_json&)>;

// Runs the deployment; emit receives one object per hook script run and one for the Install
// step. interrupt_fd: a signalfd for our own SIGINT/SIGTERM/SIGHUP, or -1.
DeploySummary run_deployment(DeployOptions options, int interrupt_fd, const Emit& emit);

// The final summary object ("type": "summary").
nlohmann::ordered_json to_json(const DeploySummary& summary);

}  // namespace stagehand::agent
