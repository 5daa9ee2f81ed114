#include "os/fs/mountinfo.hpp"

#include <charconv>

namespace stagehand::os {
namespace {

// Undoes the kernel's octal escapes (fs/proc_namespace.c: mangle() escapes " \t\n\\").
std::optional<std::string> unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 3 >= text.size()) {
            return std::nullopt;
        }
        int value = 0;
        for (std::size_t k = 1; k <= 3; ++k) {
            const char c = text[i + k];
            if (c < '0' || c > '7') {
                return std::nullopt;
            }
            value = value * 8 + (c - '0');
        }
        if (value > 255) {
            return std::nullopt;
        }
        out += static_cast<char>(value);
        i += 3;
    }
    return out;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        const auto end = line.find(' ', pos);
        const auto stop = end == std::string_view::npos ? line.size() : end;
        if (stop > pos) {
            out.push_back(line.substr(pos, stop - pos));
        }
        pos = stop + 1;
    }
    return out;
}

template <class T>
bool to_number(std::string_view text, T& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

std::optional<MountEntry> parse_line(std::string_view line) {
    const auto f = split_spaces(line);
    std::size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") {
        ++sep;
    }
    if (f.size() < 6 || sep + 2 >= f.size()) {
        return std::nullopt;
    }
    MountEntry e;
    const auto colon = f[2].find(':');
    if (!to_number(f[0], e.id) || !to_number(f[1], e.parent_id) ||
        colon == std::string_view::npos || !to_number(f[2].substr(0, colon), e.major) ||
        !to_number(f[2].substr(colon + 1), e.minor)) {
        return std::nullopt;
    }
    auto root = unescape(f[3]);
    auto point = unescape(f[4]);
    auto source = unescape(f[sep + 2]);
    if (!root || !point || !source || point->empty() || point->front() != '/') {
        return std::nullopt;
    }
    e.root = std::move(*root);
    e.mount_point = std::move(*point);
    e.fs_type = std::string(f[sep + 1]);
    e.source = std::move(*source);
    if (sep + 3 < f.size()) {
        e.super_options = std::string(f[sep + 3]);
    }
    return e;
}

}  // namespace

util::Result<std::vector<MountEntry>> parse_mountinfo(std::string_view text) {
    std::vector<MountEntry> out;
    int number = 0;
    while (!text.empty()) {
        ++number;
        const auto newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty()) {
            continue;
        }
        auto entry = parse_line(line);
        if (!entry) {
            return util::Error{
                "mountinfo line " + std::to_string(number) + ": not in the format of proc(5)",
                EINVAL};
        }
        out.push_back(std::move(*entry));
    }
    return out;
}

util::Result<std::vector<MountEntry>> load_mountinfo(FileSystem& fs, const std::string& path) {
    auto text = fs.read_file(path);
    if (!text) {
        return text.error();
    }
    auto mounts = parse_mountinfo(*text);
    if (!mounts) {
        return util::Error{path + ": " + mounts.error().message, mounts.error().code};
    }
    return mounts;
}

bool is_mount_point(const std::vector<MountEntry>& mounts, std::string_view path) {
    for (const auto& m : mounts) {
        if (m.mount_point == path) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> mounts_inside(const std::vector<MountEntry>& mounts,
                                       std::string_view folder) {
    std::vector<std::string> out;
    const std::string prefix = folder == "/" ? "/" : std::string(folder) + "/";
    for (const auto& m : mounts) {
        if (m.mount_point.size() > prefix.size() &&
            m.mount_point.compare(0, prefix.size(), prefix) == 0) {
            out.push_back(m.mount_point);
        }
    }
    return out;
}

}  // namespace stagehand::os
