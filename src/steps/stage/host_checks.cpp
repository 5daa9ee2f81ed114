#include "steps/stage/host_checks.hpp"

#include <cerrno>

namespace stagehand::steps {
namespace {

using core::RuleViolation;

const char* type_name(os::FileType type) {
    switch (type) {
        case os::FileType::regular:
            return "a regular file";
        case os::FileType::directory:
            return "a folder";
        case os::FileType::symlink:
            return "a symlink";
        case os::FileType::other:
            break;
    }
    return "a special file";
}

// The message for a symlink at `link` on the way to `path`.
RuleViolation symlink_violation(os::FileSystem& fs, const std::string& link,
                                const std::string& path) {
    const std::string rest = path.substr(link.size());
    auto real = fs.real_path(link);
    if (!real) {
        return RuleViolation{"symlink", path + " goes through the symlink " + link +
                                            ", whose target does not resolve; write the real "
                                            "path instead"};
    }
    const std::string instead = *real == "/" ? (rest.empty() ? "/" : rest) : *real + rest;
    std::string message = path + " goes through the symlink " + link + " -> " + *real + "; write " +
                          instead + " instead";
    if (link == path) {
        message = path + " is a symlink to " + *real + "; write " + instead + " instead";
    }
    return RuleViolation{"symlink", message};
}

}  // namespace

MaybeViolation check_no_symlink(os::FileSystem& fs, const std::string& path) {
    std::size_t pos = 0;
    while (pos < path.size()) {
        const auto slash = path.find('/', pos + 1);
        const std::string prefix = path.substr(0, slash);
        auto info = fs.lstat(prefix);
        if (!info) {
            if (info.error().code == ENOENT) {
                return std::optional<RuleViolation>{};  // the rest will be created by us
            }
            return info.error();
        }
        if (info->type == os::FileType::symlink) {
            return std::optional<RuleViolation>{symlink_violation(fs, prefix, path)};
        }
        if (slash != std::string::npos && info->type != os::FileType::directory) {
            return std::optional<RuleViolation>{RuleViolation{
                "path-type",
                path + " needs " + prefix + " to be a folder, but it is " + type_name(info->type)}};
        }
        if (slash == std::string::npos) {
            break;
        }
        pos = slash;
    }
    return std::optional<RuleViolation>{};
}

std::optional<core::RuleViolation> check_not_mount_point(const std::vector<os::MountEntry>& mounts,
                                                         const std::string& folder) {
    if (os::is_mount_point(mounts, folder)) {
        return RuleViolation{"mount-point", folder +
                                                " is a mount point; emptying it would wipe that "
                                                "filesystem; clean a folder inside it instead"};
    }
    const auto inside = os::mounts_inside(mounts, folder);
    if (!inside.empty()) {
        return RuleViolation{"mount-point", inside.front() + " is a mount point inside " + folder +
                                                "; emptying " + folder +
                                                " would wipe that filesystem"};
    }
    return std::nullopt;
}

MaybeViolation check_not_writable_by_others(os::FileSystem& fs, const std::string& path) {
    auto info = fs.lstat(path);
    if (!info) {
        return info.error();
    }
    if ((info->mode & 022) != 0) {
        return std::optional<RuleViolation>{RuleViolation{
            "writable-by-others", path + " is writable by group or others (mode " +
                                      core::format_mode(info->mode) +
                                      ") and stagehand runs as root; fix: chmod go-w " + path}};
    }
    return std::optional<RuleViolation>{};
}

MaybeViolation check_source_file(os::FileSystem& fs, const std::string& bundle_real,
                                 const std::string& relative) {
    const std::string path = os::join_path(bundle_real, relative);
    auto info = fs.lstat(path);
    if (!info) {
        if (info.error().code == ENOENT || info.error().code == ENOTDIR) {
            return std::optional<RuleViolation>{RuleViolation{
                "source-missing", relative + " does not exist in the bundle " + bundle_real}};
        }
        return info.error();
    }
    if (info->type != os::FileType::regular) {
        return std::optional<RuleViolation>{
            RuleViolation{"source-type", relative + " is " + type_name(info->type) +
                                             ", not a regular file; stage the file itself"}};
    }
    auto real_parent = fs.real_path(os::parent_path(path));
    if (!real_parent) {
        return real_parent.error();
    }
    if (!core::is_inside(*real_parent, bundle_real)) {
        return std::optional<RuleViolation>{RuleViolation{
            "source-in-bundle", relative + " resolves to " +
                                    os::join_path(*real_parent, path.substr(path.rfind('/') + 1)) +
                                    ", outside the bundle " + bundle_real}};
    }
    return std::optional<RuleViolation>{};
}

MaybeViolation check_destination_type(os::FileSystem& fs, const std::string& destination) {
    auto info = fs.lstat(destination);
    if (!info) {
        if (info.error().code == ENOENT) {
            return std::optional<RuleViolation>{};
        }
        return info.error();
    }
    if (info->type != os::FileType::regular) {
        return std::optional<RuleViolation>{RuleViolation{
            "destination-type", destination + " is " + type_name(info->type) +
                                    "; a destination must be a regular file or not exist"}};
    }
    return std::optional<RuleViolation>{};
}

util::Result<std::pair<bool, std::optional<core::RuleViolation>>> check_clean_type(
    os::FileSystem& fs, const std::string& folder) {
    using Out = std::pair<bool, std::optional<RuleViolation>>;
    auto info = fs.lstat(folder);
    if (!info) {
        if (info.error().code == ENOENT) {
            return Out{false, std::nullopt};
        }
        return info.error();
    }
    if (info->type != os::FileType::directory) {
        return Out{true, RuleViolation{"clean-type",
                                       folder + " is " + type_name(info->type) + ", not a folder"}};
    }
    return Out{true, std::nullopt};
}

}  // namespace stagehand::steps
