#pragma once
// The staging manifest, <state_dir>/staging-manifest.json: what before-install staged, per
// compose project (two applications may share a host and its state_dir). It also keeps the
// image references each deployment named, which is how prune_images knows the last good
// deployment's images and the older ones this project left behind.
//
// {"version": 1, "projects": {"shop": {
//    "deployment_id": "d-ABC", "time": "2024-05-01T12:00:00Z",
//    "files": [{"path": "/home/ec2-user/docker-compose.yml", "sha256": "...", "mode": "0644",
//               "owner": "ec2-user", "group": "ec2-user", "uid": 1000, "gid": 1000,
//               "size": 1234}],
//    "images": ["shop/api:1.4"], "previous_images": ["shop/api:1.3"],
//    "image_history": ["shop/api:1.2", "shop/api:1.3", "shop/api:1.4"]}}}

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace stagehand::core {

struct ManifestFile {
    std::string path;
    std::string sha256;
    unsigned mode = 0;
    std::string owner;
    std::string group;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int64_t size = 0;

    bool operator==(const ManifestFile&) const = default;
};

struct ProjectManifest {
    std::string deployment_id;
    std::string time;  // RFC 3339 UTC
    std::vector<ManifestFile> files;
    std::vector<std::string> images;           // named by this deployment's compose file
    std::vector<std::string> previous_images;  // named by the deployment before it
    std::vector<std::string> image_history;    // every image this project named, oldest first

    // Equal apart from `time`: a re-run that changes nothing does not rewrite the file.
    bool same_content(const ProjectManifest& other) const;
};

struct StagingManifest {
    std::map<std::string, ProjectManifest> projects;
};

// The history keeps at most this many references (oldest dropped first).
inline constexpr std::size_t k_image_history_max = 50;

std::string manifest_to_json(const StagingManifest& manifest);
// Error (code EINVAL) when the text is not a manifest; an empty text is an empty manifest.
util::Result<StagingManifest> manifest_from_json(std::string_view text);

// This run's entry, carrying the image lists forward from `previous` (the project's entry
// before this run; empty when none). A re-run of the same deployment keeps the previous
// deployment's images as they were.
ProjectManifest next_project_manifest(const ProjectManifest* previous, std::string deployment_id,
                                      std::string time, std::vector<ManifestFile> files,
                                      std::vector<std::string> images);

}  // namespace stagehand::core
