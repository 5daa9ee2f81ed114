#pragma once
// State files stagehand wrote earlier and reads back: profiles.json, the staging manifest, a
// deployment report (SPEC sections 2, 6, 8). They are written atomically, so a damaged one
// means something else touched it (a disk error, a hand edit, another version); it must not
// stop a deployment nor reach the user as an internal error. One rule for each of them: a
// file that does not parse into the expected shape is moved aside as `<name>.damaged` (an
// older one there is replaced) with a warning naming both, and the run goes on as if it were
// absent.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "os/fs/filesystem.hpp"
#include "util/log.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// What to do with a damaged file: --dry-run changes nothing, so it only warns.
enum class OnDamage { set_aside, leave_in_place };

// The suffix a damaged state file gets.
inline constexpr std::string_view k_damaged_suffix = ".damaged";

// Reads `path` as text. Missing (ENOENT): nullopt. Any other read error: an Error naming the
// file (e.g. EACCES, EIO, EISDIR): the caller decides whether it can go on without it.
util::Result<std::optional<std::string>> read_state_text(FileSystem& fs, const std::string& path);

// Warns "<path> is damaged (<why>); moved aside to <path>.damaged, starting afresh" and
// renames it (set_aside), or warns that it is left as it is (leave_in_place). Error: the
// rename failed (the file is then still in the way).
util::Status set_aside_damaged(FileSystem& fs, util::Log& log, const std::string& path,
                               const std::string& why, OnDamage on_damage);

// Reads a state file and parses it with `parse` (which returns an Error saying what is wrong
// with the text). Missing or damaged (set aside as above): nullopt. Error: the file could not
// be read, or a damaged one could not be moved aside.
template <class T>
util::Result<std::optional<T>> read_state_file(
    FileSystem& fs, util::Log& log, const std::string& path,
    const std::function<util::Result<T>(std::string_view)>& parse,
    OnDamage on_damage = OnDamage::set_aside) {
    auto text = read_state_text(fs, path);
    if (!text) {
        return text.error();
    }
    if (!*text) {
        return std::optional<T>();
    }
    auto parsed = parse(**text);
    if (parsed) {
        return std::optional<T>(std::move(parsed).value());
    }
    if (auto st = set_aside_damaged(fs, log, path, parsed.error().message, on_damage); !st) {
        return st.error();
    }
    return std::optional<T>();
}

// A JSON object, or an Error saying why not without echoing the bytes: "empty (truncated)",
// "not valid JSON (byte 17)", "a JSON array, not an object".
util::Result<nlohmann::json> parse_json_object(std::string_view text);

}  // namespace stagehand::os
