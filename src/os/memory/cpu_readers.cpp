// The CPU figures the start loop turns into "idle CPU over the last second": the host's
// /proc/stat, or a CPU-limited cgroup (v1 cpu + cpuacct hierarchies, v2 cpu.max + cpu.stat).

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>

#include "os/fs/mountinfo.hpp"
#include "os/memory/cgroup_files.hpp"
#include "os/memory/cpu_parsers.hpp"
#include "os/memory/factory.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

// /proc/stat counts in USER_HZ ticks (100 on every Linux ABI, but ask).
std::uint64_t ns_per_tick() {
    const long hz = ::sysconf(_SC_CLK_TCK);
    return hz > 0 ? 1'000'000'000ULL / static_cast<std::uint64_t>(hz) : 10'000'000ULL;
}

std::string cpu_count(double cpus) {
    char text[32];
    std::snprintf(text, sizeof text, "%g CPU%s", cpus, cpus == 1.0 ? "" : "s");
    return text;
}

bool has_option(std::string_view options, std::string_view name) {
    while (!options.empty()) {
        const auto comma = options.find(',');
        if (options.substr(0, comma) == name) {
            return true;
        }
        options = comma == std::string_view::npos ? std::string_view{} : options.substr(comma + 1);
    }
    return false;
}

// The tightest CPU limit on `dir` and its ancestors down to `floor` (rooted paths). Levels
// without the limit files are skipped: on v2, a cgroup whose parent does not enable the cpu
// controller has no cpu.max, yet its tasks still run under the ancestors' bandwidth.
util::Result<std::optional<double>> tightest_cpu_limit(std::string dir, CgroupVersion version,
                                                       const std::string& floor) {
    std::optional<double> best;
    for (;;) {
        std::optional<double> limit;
        if (version == CgroupVersion::v2 && path_exists(dir + "/cpu.max")) {
            auto parsed = read_and_parse(dir + "/cpu.max", parse_cpu_max);
            if (!parsed) {
                return parsed.error();
            }
            limit = *parsed;
        } else if (version == CgroupVersion::v1 && path_exists(dir + "/cpu.cfs_quota_us")) {
            auto period = read_text_file(dir + "/cpu.cfs_period_us");
            if (!period) {
                return period.error();
            }
            auto parsed = read_and_parse(dir + "/cpu.cfs_quota_us", [&](std::string_view quota) {
                return parse_cfs_quota(quota, *period);
            });
            if (!parsed) {
                return parsed.error();
            }
            limit = *parsed;
        }
        if (limit && (!best || *limit < *best)) {
            best = limit;
        }
        const auto slash = dir.rfind('/');
        if (dir.size() <= floor.size() || slash == std::string::npos || slash < floor.size()) {
            return best;
        }
        dir.resize(slash);
    }
}

// The v2 hierarchy a host path lives in: /sys/fs/cgroup/unified on hybrid hosts.
std::string v2_mount(const std::string& folder) {
    const std::string hybrid = "/sys/fs/cgroup/unified";
    return folder.compare(0, hybrid.size() + 1, hybrid + "/") == 0 ? hybrid : "/sys/fs/cgroup";
}

// The CPU side of a memory cgroup, or nullopt when nothing there limits the CPU.
std::optional<CpuCgroup> cpu_cgroup_of(const CgroupLocation& memory, const std::string& root) {
    CpuCgroup cgroup{memory.version, memory.folder, v2_mount(memory.folder), memory.folder};
    if (memory.version == CgroupVersion::v1) {
        const auto memory_mount = v1_hierarchy(root, "memory");
        const auto cpu_mount = v1_hierarchy(root, "cpu");
        const auto cpuacct_mount = v1_hierarchy(root, "cpuacct");
        if (!memory_mount || !cpu_mount || !cpuacct_mount ||
            memory.folder.compare(0, memory_mount->size(), *memory_mount) != 0) {
            return std::nullopt;
        }
        const std::string path = memory.folder.substr(memory_mount->size());
        if (!path.empty() && path.front() != '/') {
            return std::nullopt;  // "/sys/fs/cgroup/memoryX": not inside the memory mount
        }
        cgroup = CpuCgroup{CgroupVersion::v1, *cpu_mount + path, *cpu_mount, *cpuacct_mount + path};
    }
    auto limit = tightest_cpu_limit(join_root(root, cgroup.limit_folder), cgroup.version,
                                    join_root(root, cgroup.limit_floor));
    return limit && *limit ? std::optional<CpuCgroup>(cgroup) : std::nullopt;
}

}  // namespace

std::optional<std::string> v1_hierarchy(const std::string& root, std::string_view controller) {
    if (auto text = read_text_file(join_root(root, "/proc/self/mountinfo"))) {
        auto mounts = parse_mountinfo(*text);
        if (mounts) {
            for (const MountEntry& mount : *mounts) {
                if (mount.fs_type == "cgroup" && has_option(mount.super_options, controller)) {
                    return mount.mount_point;
                }
            }
            return std::nullopt;
        }
    }
    const std::string conventional = "/sys/fs/cgroup/" + std::string(controller);
    return is_directory(join_root(root, conventional)) ? std::optional<std::string>(conventional)
                                                       : std::nullopt;
}

std::optional<CpuAccounting> locate_cpu_accounting(const ProcCgroup& cgroups,
                                                   const std::string& root) {
    if (cgroups.v1_cpuacct) {
        if (const auto mount = v1_hierarchy(root, "cpuacct")) {
            const std::string dir =
                join_root(root, *mount + (*cgroups.v1_cpuacct == "/" ? "" : *cgroups.v1_cpuacct));
            if (is_directory(dir)) {
                return CpuAccounting{CgroupVersion::v1, dir};
            }
        }
    }
    if (cgroups.unified && *cgroups.unified != "/") {
        for (const std::string base : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
            const std::string dir = join_root(root, base + *cgroups.unified);
            if (path_exists(dir + "/cpu.stat")) {
                return CpuAccounting{CgroupVersion::v2, dir};
            }
        }
    }
    return std::nullopt;
}

util::Result<std::uint64_t> read_cpu_usage_ns(const CpuAccounting& accounting) {
    return accounting.version == CgroupVersion::v1
               ? read_and_parse(accounting.dir + "/cpuacct.usage", parse_cpuacct_usage_ns)
               : read_and_parse(accounting.dir + "/cpu.stat", parse_cpu_stat_usage_ns);
}

util::Result<CpuSample> HostCpuReader::read() {
    auto stat = read_and_parse(join_root(m_root, "/proc/stat"), parse_proc_stat);
    if (!stat) {
        return stat.error();
    }
    const double cpus = std::max(1, stat->online_cpus);
    return CpuSample{stat->busy_ticks * ns_per_tick(), cpus,
                     "host /proc/stat (" + cpu_count(cpus) + ")"};
}

util::Result<CpuSample> CgroupCpuReader::read() {
    auto host = HostCpuReader(m_root).read();
    if (!host) {
        return host.error();
    }
    auto limit = tightest_cpu_limit(join_root(m_root, m_cgroup.limit_folder), m_cgroup.version,
                                    join_root(m_root, m_cgroup.limit_floor));
    if (!limit) {
        return limit.error();
    }
    const double cpus = *limit ? std::min(**limit, host->cpus) : host->cpus;
    const std::string usage_dir = join_root(m_root, m_cgroup.usage_folder);
    CpuAccounting accounting{m_cgroup.version, usage_dir};
    auto used = read_cpu_usage_ns(accounting);
    if (!used && used.error().code == ENOENT && !is_directory(usage_dir)) {
        // v1 with separate cpu and cpuacct mounts: Docker's cgroupfs driver makes the
        // cpuacct folder only when the first container starts in it. Nothing has run yet.
        used = std::uint64_t{0};
    }
    if (!used) {
        return used.error();
    }
    return CpuSample{
        *used, cpus,
        std::string(m_cgroup.version == CgroupVersion::v1 ? "cgroup v1 " : "cgroup v2 ") +
            m_cgroup.limit_folder + " (" + cpu_count(cpus) + ")"};
}

std::unique_ptr<CpuReader> make_cpu_reader(const MemorySourceChoice& choice,
                                           const std::string& root) {
    if (choice.cgroup) {
        if (auto cgroup = cpu_cgroup_of(*choice.cgroup, root)) {
            return std::make_unique<CgroupCpuReader>(*cgroup, root);
        }
    }
    return std::make_unique<HostCpuReader>(root);
}

}  // namespace stagehand::os
