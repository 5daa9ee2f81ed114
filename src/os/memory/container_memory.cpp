#include <algorithm>
#include <cerrno>

#include "os/memory/cgroup_files.hpp"
#include "os/memory/readers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

util::Error gone(int pid) {
    return util::Error{"process " + std::to_string(pid) + " has exited", ESRCH};
}

}  // namespace

util::Result<CgroupLocation> locate_process_cgroup(int pid, const std::string& root) {
    const std::string path = join_root(root, "/proc/" + std::to_string(pid) + "/cgroup");
    auto text = read_text_file(path);
    if (!text) {
        // ESRCH: the process died while we read its /proc folder.
        const int code = text.error().code;
        return code == ENOENT || code == ESRCH ? gone(pid) : text.error();
    }
    auto cgroups = parse_proc_cgroup(*text);
    if (!cgroups) {
        return util::Error{path + ": " + cgroups.error().message};
    }
    // A container's main process always sits below the root cgroup. On cgroup v1 a zombie
    // (an exited, not yet reaped container process) reports "memory:/", and reading the root
    // would give host-wide usage as the container's peak: treat it as gone.
    const bool at_root = cgroups->v1_memory ? *cgroups->v1_memory == "/"
                                            : cgroups->unified && *cgroups->unified == "/";
    if (at_root) {
        return gone(pid);
    }
    const auto location = locate_memory_cgroup(*cgroups, root, false);
    if (!location) {
        if (!path_exists(join_root(root, "/proc/" + std::to_string(pid)))) {
            return gone(pid);
        }
        return util::Error{"process " + std::to_string(pid) + " is in no memory cgroup (see " +
                           path + ")"};
    }
    return *location;
}

util::Result<CgroupContainerMemory::Located> CgroupContainerMemory::locate(int container_pid) {
    if (const auto known = m_located.find(container_pid); known != m_located.end()) {
        return known->second;
    }
    auto location = locate_process_cgroup(container_pid, m_root);
    if (!location) {
        return location.error();
    }
    Located found{join_root(m_root, location->folder), location->version};
    m_located[container_pid] = found;
    return found;
}

util::Result<core::Bytes> CgroupContainerMemory::usage(int container_pid) {
    auto located = locate(container_pid);
    if (!located) {
        return located.error();
    }
    const std::string& dir = located->dir;
    const CgroupFileNames& names = file_names(located->version);
    auto used = read_and_parse(dir + "/" + names.usage, parse_cgroup_bytes);
    auto inactive = read_and_parse(dir + "/memory.stat", [&](std::string_view stat) {
        return parse_keyed_value(stat, names.inactive_key);
    });
    if (!used || !inactive) {
        // Docker removes the cgroup as the container exits: a race, not a failure. The pid
        // may be reused later by another process: forget where this one lived.
        m_located.erase(container_pid);
        if (!is_directory(dir)) {
            return gone(container_pid);
        }
        return used ? inactive.error() : used.error();
    }
    return std::max<core::Bytes>(0, *used - *inactive);
}

}  // namespace stagehand::os
