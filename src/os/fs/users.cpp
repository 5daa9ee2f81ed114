#include "os/fs/users.hpp"

#include <charconv>
#include <limits>

namespace stagehand::os {
namespace {

// Splits one line on ':' into at most `max` fields.
std::vector<std::string_view> fields_of(std::string_view line, std::size_t max) {
    std::vector<std::string_view> fields;
    while (fields.size() + 1 < max) {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            break;
        }
        fields.push_back(line.substr(0, colon));
        line.remove_prefix(colon + 1);
    }
    fields.push_back(line);
    return fields;
}

// A decimal id that fits in 32 bits; (uid_t)-1 is "no change" to chown, so it is refused.
std::optional<std::uint32_t> parse_id(std::string_view text) {
    std::uint32_t value = 0;
    if (text.empty() || text.size() > 10) {
        return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() ||
        value == std::numeric_limits<std::uint32_t>::max()) {
        return std::nullopt;
    }
    return value;
}

// Calls `on_line` for each line that is neither blank, a comment nor an NIS marker.
template <class F>
void for_each_line(std::string_view text, F&& on_line) {
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
            continue;
        }
        on_line(line);
    }
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
    std::vector<PasswdEntry> out;
    for_each_line(text, [&](std::string_view line) {
        const auto f = fields_of(line, 7);
        if (f.size() < 4 || f[0].empty()) {
            return;
        }
        const auto uid = parse_id(f[2]);
        const auto gid = parse_id(f[3]);
        if (uid && gid) {
            out.push_back(PasswdEntry{std::string(f[0]), *uid, *gid,
                                      f.size() > 5 ? std::string(f[5]) : std::string()});
        }
    });
    return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
    std::vector<GroupEntry> out;
    for_each_line(text, [&](std::string_view line) {
        const auto f = fields_of(line, 4);
        if (f.size() < 3 || f[0].empty()) {
            return;
        }
        if (const auto gid = parse_id(f[2])) {
            out.push_back(GroupEntry{std::string(f[0]), *gid});
        }
    });
    return out;
}

util::Result<UserDb> UserDb::load(FileSystem& fs, const std::string& etc_dir) {
    auto passwd = fs.read_file(join_path(etc_dir, "passwd"));
    if (!passwd) {
        return passwd.error();
    }
    auto group = fs.read_file(join_path(etc_dir, "group"));
    if (!group) {
        return group.error();
    }
    return UserDb(parse_passwd(*passwd), parse_group(*group));
}

std::optional<PasswdEntry> UserDb::find_user(std::string_view name_or_id) const {
    for (const auto& user : m_users) {
        if (user.name == name_or_id) {
            return user;
        }
    }
    if (const auto id = parse_id(name_or_id)) {
        for (const auto& user : m_users) {
            if (user.uid == *id) {
                return user;
            }
        }
        // A bare number need not have an entry (an LDAP account): its primary group is then
        // unknown, so the caller keeps the current group unless one is given.
        return PasswdEntry{std::string(name_or_id), *id, static_cast<gid_t>(-1), ""};
    }
    return std::nullopt;
}

std::optional<GroupEntry> UserDb::find_group(std::string_view name_or_id) const {
    for (const auto& group : m_groups) {
        if (group.name == name_or_id) {
            return group;
        }
    }
    if (const auto id = parse_id(name_or_id)) {
        return GroupEntry{std::string(name_or_id), *id};
    }
    return std::nullopt;
}

std::string UserDb::user_name(uid_t uid) const {
    for (const auto& user : m_users) {
        if (user.uid == uid) {
            return user.name;
        }
    }
    return std::to_string(uid);
}

std::string UserDb::group_name(gid_t gid) const {
    for (const auto& group : m_groups) {
        if (group.gid == gid) {
            return group.name;
        }
    }
    return std::to_string(gid);
}

}  // namespace stagehand::os
