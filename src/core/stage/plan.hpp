#pragma once
// The staging plan (SPEC section 6): what before-install will do, computed from the config
// and the facts the host step gathered. Pure data and pure functions; `--dry-run` prints
// describe_plan() and the real run follows the same plan.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagehand::core {

// What is known of one file's content and metadata.
struct FileFacts {
    std::string sha256;  // hex
    unsigned mode = 0;   // permission bits
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int64_t size = 0;
};

enum class FileAction { create, replace, unchanged };

struct FilePlan {
    std::string source;       // absolute path inside the bundle
    std::string destination;  // absolute, normalised, checked by the safety rules
    FileFacts target;         // content, mode and owner the destination will have
    std::string owner;        // names for messages ("ec2-user", or "1000" when unknown)
    std::string group;
    std::optional<FileFacts> current;  // the destination now; nullopt: it does not exist
    bool create_folder = false;        // the destination's folder is missing (mkdir -p 0755)

    FileAction action() const;
};

struct CleanPlan {
    std::string folder;
    bool exists = true;  // a missing clean folder is fine: nothing to empty
};

struct StagePlan {
    std::string project;
    bool stop = false;
    std::vector<std::string> stop_candidates;  // services in stop order (reverse start order)
    std::vector<CleanPlan> clean;
    std::vector<FilePlan> files;
    int backups = 3;
    bool prune_images = false;
    std::vector<std::string> images;  // the compose file's image references
    std::string state_dir;
};

// Ownership the destination gets. owner/group: what the config resolved to (nullopt: not
// set; an owner's gid of (uint32)-1 means "primary group unknown"). Unset owner keeps the
// current file's owner, else ours; unset group takes the owner's primary group, else keeps
// the current file's group, else ours.
struct Ownership {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};
Ownership choose_ownership(std::optional<std::uint32_t> owner_uid,
                           std::optional<std::uint32_t> owner_primary_gid,
                           std::optional<std::uint32_t> group_gid,
                           const std::optional<FileFacts>& current, Ownership ours);

// One line per operation, in the order the run performs them.
std::vector<std::string> describe_plan(const StagePlan& plan);

// Stop order: reverse of `start_order`. Services that are not in it are returned in
// `unknown` (compose cannot stop a service its file does not name).
struct StopOrder {
    std::vector<std::string> ordered;
    std::vector<std::string> unknown;
};
StopOrder stop_order(const std::vector<std::string>& running_services,
                     const std::vector<std::string>& start_order);

// Backups: <state_dir>/backups/<escaped destination>/<UTC timestamp>-<sha256 prefix>.
// The escape is reversible and keeps the name readable: "/home/ec2-user/a.yml" ->
// "home%2Fec2-user%2Fa.yml" ('%' -> "%25", '/' -> "%2F", leading '/' dropped).
std::string escape_destination(std::string_view destination);
// "20240501T120000.123Z-<first 12 hex of sha256>": sorts by time.
std::string backup_name(std::chrono::system_clock::time_point when, std::string_view sha256);
// Given the names in one backup folder, those to delete so that the newest `keep` of ours
// remain (names not in our format are left alone).
std::vector<std::string> backups_to_remove(std::vector<std::string> names, int keep);

// "2024-05-01T12:00:00Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point when);

}  // namespace stagehand::core
