#include "os/memory/oom_counters.hpp"

#include "os/memory/cgroup_files.hpp"
#include "os/memory/oom_parsers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

// Where the hierarchy holding `folder` is mounted: the cgroup's path is `folder` below it.
std::string hierarchy_base(const std::string& folder, int version) {
    if (version == 1) {
        return "/sys/fs/cgroup/memory";
    }
    const std::string hybrid = "/sys/fs/cgroup/unified";
    return folder.compare(0, hybrid.size() + 1, hybrid + "/") == 0 ? hybrid : "/sys/fs/cgroup";
}

std::optional<std::int64_t> host_oom_kills(const std::string& root) {
    auto kills = read_and_parse(join_root(root, "/proc/vmstat"), parse_vmstat_oom_kill);
    return kills ? std::optional<std::int64_t>(*kills) : std::nullopt;
}

// One level's counters and limit; `level.folder` and `level.cgroup` are already set. A level
// whose counters cannot be read stays unreadable (the cgroup is gone, or an old kernel).
void read_level(core::OomLevel& level, int version, const std::string& root) {
    const std::string dir = join_root(root, level.folder);
    const CgroupVersion cgroup_version = version == 1 ? CgroupVersion::v1 : CgroupVersion::v2;
    auto limit = read_and_parse(dir + "/" + file_names(cgroup_version).limit, parse_cgroup_limit);
    if (version == 1) {
        auto control = read_and_parse(dir + "/memory.oom_control", parse_oom_control);
        level.readable = limit && control;
        level.oom_kill = control ? control->oom_kill : std::nullopt;
    } else {
        auto events = read_and_parse(dir + "/memory.events", parse_memory_events);
        auto local = read_and_parse(dir + "/memory.events.local", parse_memory_events);
        level.readable = limit && events;
        level.oom_kill = events ? std::optional<std::int64_t>(events->oom_kill) : std::nullopt;
        level.oom_events = events ? std::optional<std::int64_t>(events->oom) : std::nullopt;
        level.oom_events_local = local ? std::optional<std::int64_t>(local->oom) : std::nullopt;
    }
    if (limit) {
        level.limit = *limit;
    }
}

}  // namespace

util::Result<core::OomCounters> KernelOomCounters::read(int container_pid) {
    auto process = locate_process_cgroup(container_pid, m_root);
    if (!process) {
        return process.error();
    }
    const CgroupLocation* location = &process->memory;
    core::OomCounters counters;
    counters.cgroup_version = location->version == CgroupVersion::v1 ? 1 : 2;
    counters.host_oom_kill = host_oom_kills(m_root);
    const std::string base = hierarchy_base(location->folder, counters.cgroup_version);
    // Own cgroup first, then each parent, up to (not including) the hierarchy's root.
    for (std::string folder = location->folder;
         folder.size() > base.size() && folder.compare(0, base.size(), base) == 0;
         folder.resize(folder.rfind('/'))) {
        core::OomLevel level;
        level.folder = folder;
        level.cgroup = folder.substr(base.size());
        read_level(level, counters.cgroup_version, m_root);
        if (counters.levels.empty() && !level.readable) {
            return util::Error{"cannot read the OOM counters of " + folder};
        }
        counters.levels.push_back(std::move(level));
    }
    return counters;
}

core::OomCounters KernelOomCounters::read_again(const core::OomCounters& before) {
    core::OomCounters after;
    after.cgroup_version = before.cgroup_version;
    after.host_oom_kill = host_oom_kills(m_root);
    for (const auto& old : before.levels) {
        core::OomLevel level;
        level.folder = old.folder;
        level.cgroup = old.cgroup;
        read_level(level, after.cgroup_version, m_root);
        after.levels.push_back(std::move(level));
    }
    return after;
}

}  // namespace stagehand::os
