#pragma once
// Mount points from /proc/self/mountinfo (proc(5)), for the rule that a clean folder must
// not be a mount point nor hold one (emptying it would wipe another filesystem).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "os/fs/filesystem.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct MountEntry {
    int id = 0;
    int parent_id = 0;
    unsigned major = 0;
    unsigned minor = 0;
    std::string root;         // the folder of the source filesystem mounted here
    std::string mount_point;  // unescaped ("\040" -> ' ')
    std::string fs_type;
    std::string source;
    std::string super_options;  // (11), e.g. "rw,cpu,cpuacct": a v1 cgroup's controllers
};

// One mount a line:
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2)(3)   (4)   (5)      (6)       (7)   (8) (9)   (10)         (11)
// (7) is zero or more optional fields ended by the "-" separator (8). Paths escape space,
// tab, newline and backslash as octal (\040, \011, \012, \134). Any malformed line is an
// error naming its number: the caller must fail closed rather than miss a mount.
util::Result<std::vector<MountEntry>> parse_mountinfo(std::string_view text);

// Reads and parses `path` (default /proc/self/mountinfo).
util::Result<std::vector<MountEntry>> load_mountinfo(
    FileSystem& fs, const std::string& path = "/proc/self/mountinfo");

// True when `path` (absolute, normalised) is a mount point.
bool is_mount_point(const std::vector<MountEntry>& mounts, std::string_view path);
// Mount points strictly inside `folder`, in mountinfo order.
std::vector<std::string> mounts_inside(const std::vector<MountEntry>& mounts,
                                       std::string_view folder);

}  // namespace stagehand::os
