#include "core/stage/safety.hpp"

#include <algorithm>
#include <array>

namespace stagehand::core {
namespace {

// Top-level folders of the FHS and the usual distributions: never a destination or a clean
// folder themselves.
constexpr std::array<std::string_view, 22> k_top_level_system = {
    "/bin",    "/boot",  "/dev", "/etc", "/home", "/lib",  "/lib32", "/lib64",
    "/libx32", "/media", "/mnt", "/opt", "/proc", "/root", "/run",   "/sbin",
    "/srv",    "/sys",   "/tmp", "/usr", "/var",  "/snap"};

// Second-level folders whose loss breaks the host (not named by the spec, but /var/lib is
// only two levels deep and holds Docker's data and every package's state).
constexpr std::array<std::string_view, 12> k_deeper_system = {
    "/usr/local", "/var/lib",  "/var/log",     "/var/cache", "/var/spool", "/var/tmp",
    "/var/run",   "/var/mail", "/var/backups", "/var/db",    "/var/empty", "/var/opt"};

// Folders nothing may be written under at all.
constexpr std::array<std::string_view, 6> k_forbidden_trees = {"/proc", "/sys", "/dev",
                                                               "/boot", "/bin", "/sbin"};

constexpr std::string_view k_docker_data = "/var/lib/docker";

std::string_view first_component(std::string_view path) {
    const auto slash = path.find('/', 1);
    return path.substr(0, slash);
}

std::size_t depth_of(std::string_view path) {
    return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

std::string rule_name_for(std::string_view what) {
    std::string name(what);
    std::replace(name.begin(), name.end(), '_', '-');
    return name;
}

std::optional<RuleViolation> check_system(std::string_view path) {
    if (path == "/") {
        return RuleViolation{"root", "/ is the root folder"};
    }
    const auto is = [&](std::string_view p) { return p == path; };
    if (std::any_of(k_top_level_system.begin(), k_top_level_system.end(), is) ||
        std::any_of(k_deeper_system.begin(), k_deeper_system.end(), is)) {
        return RuleViolation{"system-folder", std::string(path) + " is a system folder"};
    }
    const std::string_view top = first_component(path);
    const bool lib_tree = top.substr(0, 4) == "/lib";
    const bool forbidden = std::any_of(k_forbidden_trees.begin(), k_forbidden_trees.end(),
                                       [&](std::string_view t) { return t == top; });
    if (forbidden || lib_tree) {
        return RuleViolation{"system-folder",
                             std::string(path) + " is under the system folder " + std::string(top)};
    }
    if (top == "/usr" && !is_inside(path, "/usr/local")) {
        return RuleViolation{
            "system-folder",
            std::string(path) +
                " is under the system folder /usr (only /usr/local/... is allowed)"};
    }
    if (is_inside(path, k_docker_data)) {
        return RuleViolation{
            "system-folder",
            std::string(path) + " is inside Docker's data folder " + std::string(k_docker_data)};
    }
    return std::nullopt;
}

std::optional<RuleViolation> check_inside_protected(std::string_view path,
                                                    const std::vector<ProtectedFolder>& protect) {
    for (const auto& p : protect) {
        if (!p.path.empty() && is_inside(path, p.path)) {
            return RuleViolation{rule_name_for(p.what),
                                 std::string(path) + " is inside " + p.what + " " + p.path};
        }
    }
    return std::nullopt;
}

}  // namespace

std::string format_mode(unsigned mode) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + (mode & 7)));
        mode >>= 3;
    } while (mode != 0);
    while (digits.size() < 4) {
        digits.insert(digits.begin(), '0');
    }
    // Always a leading 0, so the number reads as octal: "0644", "04755", "010000".
    return digits.front() == '0' ? digits : "0" + digits;
}

bool is_inside(std::string_view path, std::string_view folder) {
    if (folder == "/") {
        return !path.empty() && path.front() == '/';
    }
    return path == folder ||
           (path.size() > folder.size() && path.substr(0, folder.size()) == folder &&
            path[folder.size()] == '/');
}

std::string lexically_normal(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const auto slash = path.find('/', pos);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        const auto part = path.substr(pos, end - pos);
        if (part == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        pos = end + 1;
    }
    std::string out;
    for (const auto part : parts) {
        out += '/';
        out += part;
    }
    return out.empty() ? "/" : out;
}

std::optional<RuleViolation> check_path_form(std::string_view path) {
    if (path.empty() || path.front() != '/') {
        return RuleViolation{"absolute", "\"" + std::string(path) + "\" is not an absolute path"};
    }
    if (std::any_of(path.begin(), path.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        return RuleViolation{"normalised", std::string(path) + " contains a control character"};
    }
    if (path == "/") {
        return std::nullopt;
    }
    bool dot_dot = false;
    bool untidy = path.back() == '/' || path.find("//") != std::string_view::npos;
    for (std::size_t pos = 1; pos <= path.size();) {
        const auto slash = path.find('/', pos);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        const auto part = path.substr(pos, end - pos);
        dot_dot = dot_dot || part == "..";
        untidy = untidy || part == ".";
        pos = end + 1;
    }
    if (dot_dot) {
        return RuleViolation{"normalised", std::string(path) + " contains \"..\""};
    }
    if (untidy) {
        return RuleViolation{"normalised", std::string(path) + " is not normalised; write " +
                                               lexically_normal(path)};
    }
    return std::nullopt;
}

std::optional<RuleViolation> check_destination(std::string_view path,
                                               const std::vector<ProtectedFolder>& protect) {
    if (auto v = check_path_form(path)) {
        return v;
    }
    if (auto v = check_system(path)) {
        return v;
    }
    return check_inside_protected(path, protect);
}

std::optional<RuleViolation> check_clean_folder(std::string_view path,
                                                const std::vector<ProtectedFolder>& protect) {
    if (auto v = check_destination(path, protect)) {
        return v;
    }
    if (depth_of(path) < 2) {
        return RuleViolation{"clean-depth",
                             std::string(path) +
                                 " is one level deep; a clean folder must be at least two levels "
                                 "deep (/opt/app, not /opt)"};
    }
    for (const auto& p : protect) {
        if (!p.path.empty() && is_inside(p.path, path)) {
            return RuleViolation{
                rule_name_for(p.what),
                "cleaning " + std::string(path) + " would delete " + p.what + " " + p.path};
        }
    }
    return std::nullopt;
}

std::optional<RuleViolation> check_source(std::string_view relative) {
    if (relative.empty()) {
        return RuleViolation{"source-in-bundle", "the source is empty"};
    }
    if (relative.front() == '/') {
        return RuleViolation{"source-in-bundle",
                             std::string(relative) +
                                 " must be relative to the bundle root (write " +
                                 lexically_normal(relative).substr(1) + ")"};
    }
    if (auto v = check_path_form("/" + std::string(relative))) {
        if (v->message.find("\"..\"") != std::string::npos) {
            return RuleViolation{"source-in-bundle",
                                 std::string(relative) + " climbs out of the bundle with \"..\""};
        }
        v->message = std::string(relative) + " is not normalised";
        return v;
    }
    return std::nullopt;
}

std::optional<RuleViolation> check_mode(unsigned mode) {
    if (mode > 07777) {
        return RuleViolation{
            "mode", "mode " + format_mode(mode) + " has more than permission bits (at most 07777)"};
    }
    return std::nullopt;
}

}  // namespace stagehand::core
