#pragma once
// The boot record, <state_dir>/boot.json (SPEC section 11): per compose project, what
// `after-install --boot` needs to bring the last successfully deployed stack up again through
// the gate, and what `--boot-stop` needs to stop it in reverse start order. Written by every
// successful whole-stack after-install; the images it ran are in revisions.json under the same
// deployment id (section 9). Pure: no I/O here.
//
// {"version": 1, "projects": {"shop": {
//   "deployment_id": "d-ABC", "time": "2026-12-06T08:00:00Z", "bundle": "/opt/codedeploy-...",
//   "compose_file": "/opt/codedeploy-.../docker-compose.yml", "config_file": ".../stagehand.yml",
//   "start_order": ["db", "api"]}}}
// The compose file and stagehand.yml themselves are copied beside it (boot/<project>/): the
// agent deletes old deployment archives, and boot must not depend on them.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/compose.hpp"
#include "util/result.hpp"

namespace stagehand::core {

struct BootEntry {
    std::string deployment_id;
    std::string time;          // RFC 3339 UTC of the successful after-install
    std::string bundle;        // the revision's folder then (for the report; may be gone)
    std::string compose_file;  // its compose file's path then
    std::string config_file;   // its stagehand.yml's path then; "" when it had none
    std::vector<std::string> start_order;  // the services in the order they started

    bool operator==(const BootEntry&) const = default;
};

struct BootRecord {
    std::map<std::string, BootEntry> projects;
};

std::string boot_record_to_json(const BootRecord& record);
// Error (code EINVAL) naming what is wrong when the text is not a boot record.
util::Result<BootRecord> boot_record_from_json(std::string_view text);

// The projects in boot order: oldest deployment first (the order they were last deployed in);
// --boot-stop uses the reverse.
std::vector<std::string> boot_order(const BootRecord& record);

// Restart policies that defeat a gated boot, one line per service that has one, naming the
// policy, what Docker does with it at boot and what to use instead (measured with Docker
// 26.1.5 in the VM: README "What Docker does at boot").
struct PolicyWarning {
    std::string service;
    std::string text;
};
std::vector<PolicyWarning> boot_policy_warnings(const ComposeFile& compose);

}  // namespace stagehand::core
