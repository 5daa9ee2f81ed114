#pragma once
// The agent's Install step (installer.rb and install_instruction.rb, v1.8):
//  1. <instructions>/<group-id>-cleanup lists what the previous Install of this deployment
//     group created; it is replayed in reverse (files and symlinks removed, directories rmdir'ed
//     when empty) and deleted.
//  2. Copy instructions are generated from `files`: a directory source is walked recursively
//     (missing ancestors and directories are created); a file source lands in
//     destination/basename. Where a target file exists now -- i.e. the previous Install did not
//     put it there -- file_exists_behavior decides: DISALLOW fails the step ("The deployment
//     failed because a specified file already exists at this location: <path>"), OVERWRITE
//     copies over it, RETAIN leaves it.
//  3. The instructions are executed, each target recorded in a new cleanup file first.
// Permissions, ACLs and SELinux contexts are not simulated.

#include <filesystem>
#include <string>
#include <vector>

#include "sim/appspec.hpp"
#include "util/result.hpp"

namespace stagehand::agent {

struct InstallReport {
    std::vector<std::string> removed;    // paths of the previous Install that were removed
    std::vector<std::string> copied;     // files (and symlinks) written
    std::vector<std::string> made_dirs;  // directories created
    std::vector<std::string> retained;   // existing files left alone under RETAIN
};

struct InstallRequest {
    std::filesystem::path instructions_dir;  // <root>/deployment-instructions
    std::string group_id;
    std::filesystem::path archive_dir;          // the revision's deployment-archive
    std::string default_behavior = "DISALLOW";  // the deployment's fileExistsBehavior
};

// Runs the Install step. Error: the message the agent reports (error code 5).
util::Result<InstallReport> install_revision(const InstallRequest& request, const Appspec& appspec);

}  // namespace stagehand::agent
