#include "os/memory/factory.hpp"

#include <vector>

#include "os/memory/cgroup_files.hpp"
#include "os/sys/read_file.hpp"
#include "util/text.hpp"
#include "util/units_text.hpp"

namespace stagehand::os {

namespace {

MemorySourceChoice use_meminfo(const std::string& why) {
    return MemorySourceChoice{std::nullopt, "meminfo (" + why + ")"};
}

// Auto mode never fails on a strange cgroup setup: it falls back to meminfo and says why.
util::Result<MemorySourceChoice> detect_auto(const std::string& root) {
    auto host = read_host_meminfo(root);
    if (!host) {
        return host.error();
    }
    auto self = read_and_parse(join_root(root, "/proc/self/cgroup"), parse_proc_cgroup);
    if (!self) {
        return use_meminfo("cannot tell stagehand's cgroup: " + self.error().message);
    }
    const auto location = locate_memory_cgroup(*self, root, true);
    if (!location) {
        return use_meminfo("stagehand is in no memory cgroup");
    }
    const std::string dir = join_root(root, location->folder);
    if (!path_exists(dir + "/" + file_names(location->version).limit)) {
        // The v2 root cgroup has no memory.max: nothing limits us.
        return use_meminfo(describe(*location) + " has no memory limit");
    }
    auto binding = tightest_limit(dir, location->version, root);
    if (!binding) {
        return use_meminfo(describe(*location) + " unreadable: " + binding.error().message);
    }
    if (*binding && (*binding)->limit < host->total) {
        return MemorySourceChoice{*location, describe(*location) + " (stagehand's cgroup: limit " +
                                                 util::format_mib((*binding)->limit) +
                                                 " < MemTotal " + util::format_mib(host->total) +
                                                 ")"};
    }
    return use_meminfo(describe(*location) + " has no limit below MemTotal");
}

// Which cgroup version `dir` is, judged by its files; nullopt if it is no memory cgroup.
std::optional<CgroupVersion> version_of(const std::string& dir) {
    if (path_exists(dir + "/memory.limit_in_bytes")) {
        return CgroupVersion::v1;
    }
    for (const char* v2_file : {"memory.max", "memory.current", "cgroup.controllers"}) {
        if (path_exists(dir + "/" + v2_file)) {
            return CgroupVersion::v2;
        }
    }
    return std::nullopt;
}

// A relative folder lives in this host's memory hierarchy: the v1 memory controller's, else
// the v2 one (at /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host).
util::Result<std::string> resolve_folder(const std::string& folder, const std::string& root) {
    if (folder.front() == '/') {
        return folder;
    }
    std::vector<std::string> tried;
    for (const std::string base :
         {"/sys/fs/cgroup/memory", "/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
        const bool v2_base = base != "/sys/fs/cgroup/memory";
        if (!is_directory(join_root(root, base)) ||
            (v2_base && !controllers_include_memory(join_root(root, base)))) {
            continue;
        }
        tried.push_back(base);
        if (is_directory(join_root(root, base + "/" + folder))) {
            return base + "/" + folder;
        }
    }
    if (tried.empty()) {
        return util::Error{"this host has no memory cgroup hierarchy"};
    }
    return util::Error{"no such folder under " + util::join(tried, ", ")};
}

util::Result<MemorySourceChoice> detect_explicit(const std::string& folder,
                                                 const std::string& root) {
    const std::string label = "memory_source cgroup:" + folder;
    if (folder.empty()) {
        return util::Error{label + ": expected a folder"};
    }
    auto absolute = resolve_folder(folder, root);
    if (!absolute) {
        return util::Error{label + ": " + absolute.error().message};
    }
    const std::string dir = join_root(root, *absolute);
    if (!is_directory(dir)) {
        return util::Error{label + ": no such folder"};
    }
    const auto version = version_of(dir);
    if (!version) {
        return util::Error{label +
                           ": not a memory cgroup (no memory.max or memory.limit_in_bytes)"};
    }
    const CgroupFileNames& names = file_names(*version);
    std::vector<std::string> missing;
    for (const char* file : {names.limit, names.usage, "memory.stat"}) {
        if (!path_exists(dir + "/" + file)) {
            missing.emplace_back(file);
        }
    }
    if (!missing.empty()) {
        const char* hint = *version == CgroupVersion::v2
                               ? " (is the memory controller enabled in the parent's "
                                 "cgroup.subtree_control?)"
                               : "";
        return util::Error{label + ": missing " + util::join(missing, ", ") + hint};
    }
    auto binding = tightest_limit(dir, *version, root);  // reject unreadable files now
    if (!binding) {
        return util::Error{label + ": " + binding.error().message};
    }
    const CgroupLocation location{*version, *absolute};
    const std::string limit = *binding ? "limit " + util::format_mib((*binding)->limit)
                                       : "no limit: the host's figures apply";
    return MemorySourceChoice{location, describe(location) + " (memory_source, " + limit + ")"};
}

}  // namespace

util::Result<MemorySourceChoice> detect_memory_source(const core::MemorySource& source,
                                                      const std::string& root) {
    switch (source.kind) {
        case core::MemorySourceKind::meminfo:
            return use_meminfo("memory_source: meminfo");
        case core::MemorySourceKind::cgroup:
            return detect_explicit(source.cgroup_path, root);
        case core::MemorySourceKind::auto_detect:
            break;
    }
    return detect_auto(root);
}

std::unique_ptr<MemoryReader> make_memory_reader(const MemorySourceChoice& choice,
                                                 const std::string& root) {
    if (!choice.cgroup) {
        return std::make_unique<MeminfoReader>(root);
    }
    return std::make_unique<CgroupMemoryReader>(*choice.cgroup,
                                                std::make_unique<MeminfoReader>(root), root);
}

util::Result<std::unique_ptr<MemoryReader>> make_memory_reader(const core::MemorySource& source,
                                                               const std::string& root) {
    auto choice = detect_memory_source(source, root);
    if (!choice) {
        return choice.error();
    }
    return make_memory_reader(*choice, root);
}

}  // namespace stagehand::os
