#pragma once
// The staging safety rules that need the host (SPEC section 6): symlinks in a path, mount
// points, file types, sources writable by other users. Each returns the violated rule, or
// nullopt when the path passes; an Error only when the host could not be examined at all.

#include <optional>
#include <string>
#include <vector>

#include "core/stage/safety.hpp"
#include "os/fs/filesystem.hpp"
#include "os/fs/mountinfo.hpp"
#include "util/result.hpp"

namespace stagehand::steps {

using MaybeViolation = util::Result<std::optional<core::RuleViolation>>;

// rule symlink: no component of `path` (absolute, normalised) that exists is a symlink; the
// message gives the real path to write instead. rule path-type: every existing component
// but the last is a folder.
MaybeViolation check_no_symlink(os::FileSystem& fs, const std::string& path);

// rule mount-point: `folder` is not a mount point and holds none.
std::optional<core::RuleViolation> check_not_mount_point(const std::vector<os::MountEntry>& mounts,
                                                         const std::string& folder);

// rule writable-by-others: `path` is not writable by group or others (checked when we run
// as root: whoever can write it could make root install anything). The fix is named.
MaybeViolation check_not_writable_by_others(os::FileSystem& fs, const std::string& path);

// rule source-missing / source-type / source-in-bundle: `relative` names a regular file
// inside the bundle (not a symlink, and no folder on the way leads out of the bundle).
// `bundle_real` is the bundle's real path.
MaybeViolation check_source_file(os::FileSystem& fs, const std::string& bundle_real,
                                 const std::string& relative);

// rule destination-type: the destination is a regular file or does not exist yet.
MaybeViolation check_destination_type(os::FileSystem& fs, const std::string& destination);

// rule clean-type: the clean folder is a folder or does not exist. Ok(true) when it exists.
util::Result<std::pair<bool, std::optional<core::RuleViolation>>> check_clean_type(
    os::FileSystem& fs, const std::string& folder);

}  // namespace stagehand::steps
