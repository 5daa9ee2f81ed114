#pragma once
// The path safety rules of SPEC section 6 that need no host: form (absolute, normalised),
// system folders, clean-folder depth, and the folders stagehand itself lives in. The rules
// that need the host (symlinks, mount points, writable sources) live in steps/stage and use
// the same RuleViolation. Each rule has a name that the message starts with, so an operator
// can look it up: "rule system-folder: /usr/lib is a system folder".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagehand::core {

struct RuleViolation {
    std::string rule;     // "system-folder", "clean-depth", ...
    std::string message;  // without the rule name

    // "rule <name>: <message>"
    std::string text() const { return "rule " + rule + ": " + message; }
};

// A folder stagehand must never delete or write into from a bundle (state_dir, log_dir).
struct ProtectedFolder {
    std::string path;  // absolute, normalised
    std::string what;  // "state_dir": gives the rule its name ("state-dir")
};

// rule absolute / normalised: absolute, no "." or ".." component, no "//", no trailing '/',
// no control characters.
std::optional<RuleViolation> check_path_form(std::string_view path);

// All rules for a staged file's destination: form, never "/", never a system folder or
// anything under /proc, /sys, /dev, /boot, /bin, /sbin, /lib*, /usr (but /usr/local/...),
// Docker's data, nor inside a protected folder.
std::optional<RuleViolation> check_destination(std::string_view path,
                                               const std::vector<ProtectedFolder>& protect);

// All rules for a clean folder: the destination rules, at least two levels deep, and it
// must neither contain, equal nor lie inside a protected folder.
std::optional<RuleViolation> check_clean_folder(std::string_view path,
                                                const std::vector<ProtectedFolder>& protect);

// rule source-in-bundle / normalised: a staged source is relative to the bundle root,
// normalised, and never climbs out of it.
std::optional<RuleViolation> check_source(std::string_view relative);

// rule mode: permission bits only (at most 07777).
std::optional<RuleViolation> check_mode(unsigned mode);

// "0644", "04755": octal with a leading 0, at least four digits.
std::string format_mode(unsigned mode);

// True when `path` is `folder` or lies under it (both absolute and normalised).
bool is_inside(std::string_view path, std::string_view folder);

// Lexically normalised form of an absolute path: "." and empty parts dropped, ".." pops.
// Used for hints ("write /etc/app instead"), never to decide what is safe.
std::string lexically_normal(std::string_view path);

}  // namespace stagehand::core
