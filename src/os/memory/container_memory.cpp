#include <algorithm>
#include <cerrno>

#include "os/memory/cgroup_files.hpp"
#include "os/memory/listening_sockets.hpp"
#include "os/memory/readers.hpp"
#include "os/memory/socket_parsers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

util::Error gone(int pid) {
    return util::Error{"process " + std::to_string(pid) + " has exited", ESRCH};
}

}  // namespace

util::Result<ProcessCgroups> locate_process_cgroup(int pid, const std::string& root) {
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
    return ProcessCgroups{std::move(*cgroups), *location};
}

util::Result<CgroupContainerMemory::Located> CgroupContainerMemory::locate(int container_pid) {
    if (const auto known = m_located.find(container_pid); known != m_located.end()) {
        return known->second;
    }
    auto process = locate_process_cgroup(container_pid, m_root);
    if (!process) {
        return process.error();
    }
    Located found{join_root(m_root, process->memory.folder), process->memory.version,
                  locate_cpu_accounting(process->paths, m_root)};
    m_located[container_pid] = found;
    return found;
}

util::Error CgroupContainerMemory::read_failed(int container_pid, const std::string& dir,
                                               util::Error error) {
    m_located.erase(container_pid);
    return is_directory(dir) ? std::move(error) : gone(container_pid);
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
        return read_failed(container_pid, dir, used ? inactive.error() : used.error());
    }
    return std::max<core::Bytes>(0, *used - *inactive);
}

// v1 memory.max_usage_in_bytes / v2 memory.peak: one number of bytes.
//   167772160
util::Result<std::optional<core::Bytes>> CgroupContainerMemory::peak(int container_pid) {
    auto located = locate(container_pid);
    if (!located) {
        return located.error();
    }
    const bool v1 = located->version == CgroupVersion::v1;
    const std::string path = located->dir + (v1 ? "/memory.max_usage_in_bytes" : "/memory.peak");
    if (!v1 && !path_exists(path) && is_directory(located->dir)) {
        return std::optional<core::Bytes>{};  // memory.peak came with Linux 5.19
    }
    auto bytes = read_and_parse(path, parse_cgroup_bytes);
    if (!bytes) {
        return read_failed(container_pid, located->dir, bytes.error());
    }
    return std::optional<core::Bytes>{*bytes};
}

util::Result<std::uint64_t> CgroupContainerMemory::cpu_usage_ns(int container_pid) {
    auto located = locate(container_pid);
    if (!located) {
        return located.error();
    }
    if (!located->cpu) {
        return util::Error{"process " + std::to_string(container_pid) +
                           " is in no CPU accounting cgroup (no cpuacct.usage or cpu.stat)"};
    }
    auto used = read_cpu_usage_ns(*located->cpu);
    if (!used) {
        return read_failed(container_pid, located->cpu->dir, used.error());
    }
    return used;
}

util::Result<std::vector<std::uint16_t>> CgroupContainerMemory::listening_ports(int container_pid) {
    auto located = locate(container_pid);
    if (!located) {
        return located.error();
    }
    auto pids = read_and_parse(located->dir + "/cgroup.procs", parse_pid_list);
    if (!pids) {
        return read_failed(container_pid, located->dir, pids.error());
    }
    // The main process counts even where cgroup.procs cannot show it (a reader in another
    // pid namespace sees 0 for pids outside its own).
    if (std::find(pids->begin(), pids->end(), container_pid) == pids->end()) {
        pids->push_back(container_pid);
    }
    auto ports = read_listening_ports(m_root, *pids);
    if (!ports && ports.error().code == ESRCH) {
        m_located.erase(container_pid);
        return gone(container_pid);
    }
    return ports;
}

}  // namespace stagehand::os
