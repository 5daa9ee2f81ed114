#pragma once
// Internal to src/os/memory: reading cgroup memory folders, shared by the readers and the
// memory_source detection. Folder arguments here already include the root prefix.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "os/memory/readers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

// Reads `path` and parses it; parse errors are prefixed with the path.
template <class Parse>
auto read_and_parse(const std::string& path, Parse parse) -> decltype(parse(std::string_view{})) {
    auto text = read_text_file(path);
    if (!text) {
        return text.error();
    }
    auto value = parse(std::string_view(*text));
    if (!value) {
        return util::Error{path + ": " + value.error().message};
    }
    return value;
}

// `path` (which starts with `root` unless root is "/") as seen on the host.
std::string strip_root(const std::string& root, const std::string& path);

// The file names that differ between the two cgroup versions.
struct CgroupFileNames {
    const char* limit;         // memory.max | memory.limit_in_bytes
    const char* usage;         // memory.current | memory.usage_in_bytes
    const char* inactive_key;  // inactive_file | total_inactive_file (in memory.stat)
};
const CgroupFileNames& file_names(CgroupVersion version);

struct CgroupFigures {
    std::optional<core::Bytes> limit;  // nullopt: no limit
    core::Bytes usage = 0;             // usage / inactive_file: read only when limited
    core::Bytes inactive_file = 0;
};

// Reads one folder's limit and, when it has one, usage and inactive file cache. Errors name
// the file.
util::Result<CgroupFigures> read_cgroup_figures(const std::string& dir, CgroupVersion version);

// The tightest limit over `dir` and its ancestors (up to the hierarchy's root, never above
// `root`): the level with the least memory available.
struct CgroupBinding {
    core::Bytes limit = 0;
    core::Bytes available = 0;  // limit - (usage - inactive_file), at least 0
    std::string dir;            // the folder whose limit binds
};
util::Result<std::optional<CgroupBinding>> tightest_limit(const std::string& dir,
                                                          CgroupVersion version,
                                                          const std::string& root);

// "cgroup.controllers" of a v2 hierarchy root lists "memory" only where the memory
// controller is bound to v2 (not on hybrid hosts, whose memory controller is on v1).
bool controllers_include_memory(const std::string& dir);

// Resolves a process's cgroup paths to a memory cgroup folder under `root`: the v1 memory
// hierarchy (/sys/fs/cgroup/memory) first, else v2 at /sys/fs/cgroup or, on hybrid hosts,
// /sys/fs/cgroup/unified when it carries the memory controller. With `mount_root_fallback`,
// a path that does not exist resolves to the hierarchy's root (inside a container without
// a cgroup namespace, /proc/self/cgroup shows the host path while /sys/fs/cgroup/memory is
// the container's own cgroup). nullopt when no memory hierarchy is found.
std::optional<CgroupLocation> locate_memory_cgroup(const ProcCgroup& cgroups,
                                                   const std::string& root,
                                                   bool mount_root_fallback);

// Where a running process sits: its /proc/PID/cgroup paths and its memory cgroup, under
// `root` (a container's main process: cgroupfs or systemd driver, v1 or v2).
struct ProcessCgroups {
    ProcCgroup paths;
    CgroupLocation memory;
};

// Error with code ESRCH when the process is gone (or a v1 zombie, which reports the root
// cgroup); other errors: no memory cgroup found, /proc unreadable or malformed.
util::Result<ProcessCgroups> locate_process_cgroup(int pid, const std::string& root);

// The mount point (host path) of the v1 hierarchy that carries `controller` ("cpu",
// "cpuacct", "memory"): a "cgroup" mount in <root>/proc/self/mountinfo whose options name it
// (one "cpu,cpuacct" mount on Amazon Linux 2, separate ones on other hosts); without a
// readable mountinfo, /sys/fs/cgroup/<controller> where that folder exists (systemd links
// each controller's name to its hierarchy). nullopt when there is none.
std::optional<std::string> v1_hierarchy(const std::string& root, std::string_view controller);

// A process's CPU accounting folder: its v1 cpuacct cgroup, else its v2 cgroup (cpu.stat
// exists there whether or not the cpu controller is enabled). nullopt when neither exists.
std::optional<CpuAccounting> locate_cpu_accounting(const ProcCgroup& cgroups,
                                                   const std::string& root);

// Cumulative CPU time in nanoseconds. Errors name the file.
util::Result<std::uint64_t> read_cpu_usage_ns(const CpuAccounting& accounting);

}  // namespace stagehand::os
