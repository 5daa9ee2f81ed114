#include <algorithm>
#include <string_view>

#include "os/memory/cgroup_files.hpp"
#include "os/memory/readers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

// `path` of a cgroup inside the hierarchy mounted at `base` (host paths).
std::optional<std::string> resolve_in(const std::string& root, const std::string& base,
                                      const std::string& path, bool mount_root_fallback) {
    if (!is_directory(join_root(root, base))) {
        return std::nullopt;
    }
    const std::string folder = path == "/" ? base : base + path;
    if (is_directory(join_root(root, folder))) {
        return folder;
    }
    return mount_root_fallback ? std::optional<std::string>(base) : std::nullopt;
}

}  // namespace

// "cgroup.controllers" of a v2 hierarchy root lists "memory" only where the memory
// controller is bound to v2 (not on hybrid hosts, whose memory controller is on v1).
bool controllers_include_memory(const std::string& dir) {
    auto text = read_text_file(dir + "/cgroup.controllers");
    if (!text) {
        return false;
    }
    std::string_view rest(*text);
    while (!rest.empty()) {
        const auto start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(start);
        const auto end = rest.find_first_of(" \n");
        if (rest.substr(0, end) == "memory") {
            return true;
        }
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    return false;
}

std::string describe(const CgroupLocation& location) {
    return std::string(location.version == CgroupVersion::v1 ? "cgroup v1 " : "cgroup v2 ") +
           location.folder;
}

std::string strip_root(const std::string& root, const std::string& path) {
    const std::string prefix = join_root(root, "");
    return prefix.empty() || path.compare(0, prefix.size(), prefix) != 0
               ? path
               : path.substr(prefix.size());
}

const CgroupFileNames& file_names(CgroupVersion version) {
    static constexpr CgroupFileNames k_v1{"memory.limit_in_bytes", "memory.usage_in_bytes",
                                          "total_inactive_file"};
    static constexpr CgroupFileNames k_v2{"memory.max", "memory.current", "inactive_file"};
    return version == CgroupVersion::v1 ? k_v1 : k_v2;
}

util::Result<CgroupFigures> read_cgroup_figures(const std::string& dir, CgroupVersion version) {
    const CgroupFileNames& names = file_names(version);
    CgroupFigures figures;
    auto limit = read_and_parse(dir + "/" + names.limit, parse_cgroup_limit);
    if (!limit) {
        return limit.error();
    }
    figures.limit = *limit;
    if (!figures.limit) {
        return figures;
    }
    auto usage = read_and_parse(dir + "/" + names.usage, parse_cgroup_bytes);
    if (!usage) {
        return usage.error();
    }
    auto inactive = read_and_parse(dir + "/memory.stat", [&](std::string_view text) {
        return parse_keyed_value(text, names.inactive_key);
    });
    if (!inactive) {
        return inactive.error();
    }
    figures.usage = *usage;
    figures.inactive_file = *inactive;
    return figures;
}

util::Result<std::optional<CgroupBinding>> tightest_limit(const std::string& dir,
                                                          CgroupVersion version,
                                                          const std::string& root) {
    const std::string floor = join_root(root, "");
    std::optional<CgroupBinding> best;
    std::string level = dir;
    for (bool own = true;; own = false) {
        // Above the hierarchy's root there is no limit file: that ends the walk.
        if (!own && !path_exists(level + "/" + file_names(version).limit)) {
            break;
        }
        auto figures = read_cgroup_figures(level, version);
        if (!figures) {
            return figures.error();
        }
        if (figures->limit) {
            // Inactive file cache is reclaimed before the cgroup OOMs, so it counts as free.
            const core::Bytes used = std::max<core::Bytes>(
                0, figures->usage - std::min(figures->inactive_file, figures->usage));
            const core::Bytes available = std::max<core::Bytes>(0, *figures->limit - used);
            if (!best || available < best->available) {
                best = CgroupBinding{*figures->limit, available, level};
            }
        }
        const auto slash = level.rfind('/');
        if (slash == std::string::npos || slash == 0 || slash <= floor.size()) {
            break;
        }
        level.resize(slash);
    }
    return best;
}

std::optional<CgroupLocation> locate_memory_cgroup(const ProcCgroup& cgroups,
                                                   const std::string& root,
                                                   bool mount_root_fallback) {
    if (cgroups.v1_memory) {
        if (auto folder = resolve_in(root, "/sys/fs/cgroup/memory", *cgroups.v1_memory,
                                     mount_root_fallback)) {
            return CgroupLocation{CgroupVersion::v1, *folder};
        }
    }
    if (cgroups.unified) {
        for (const std::string base : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
            if (!controllers_include_memory(join_root(root, base))) {
                continue;
            }
            if (auto folder = resolve_in(root, base, *cgroups.unified, mount_root_fallback)) {
                return CgroupLocation{CgroupVersion::v2, *folder};
            }
        }
    }
    return std::nullopt;
}

CgroupMemoryReader::CgroupMemoryReader(CgroupLocation location, std::unique_ptr<MemoryReader> host,
                                       std::string root)
    : m_location(std::move(location)), m_host(std::move(host)), m_root(std::move(root)) {}

util::Result<MemorySnapshot> CgroupMemoryReader::read() {
    auto host = m_host->read();
    if (!host) {
        return host.error();
    }
    const std::string dir = join_root(m_root, m_location.folder);
    auto binding = tightest_limit(dir, m_location.version, m_root);
    if (!binding) {
        return binding.error();
    }
    MemorySnapshot snapshot = *host;
    snapshot.source = describe();
    if (*binding) {
        snapshot.total = std::min((*binding)->limit, host->total);
        snapshot.available = std::min((*binding)->available, host->available);
        if ((*binding)->dir != dir) {
            snapshot.source += " (limit of " + strip_root(m_root, (*binding)->dir) + ")";
        }
    } else {
        snapshot.source += " (no limit: host meminfo)";
    }
    if (m_location.version == CgroupVersion::v2) {
        auto psi = read_psi(dir + "/memory.pressure");
        if (!psi) {
            return psi.error();
        }
        if (*psi) {
            snapshot.psi_some_avg10 = *psi;
        }
    }
    return snapshot;
}

}  // namespace stagehand::os
