#pragma once
// Internal to src/os/memory: the small text helpers every /proc and cgroup parser here shares.
// Pure functions on std::string_view, no I/O.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stagehand::os::scan {

inline std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// Splits off the next line (without '\n'); returns false at the end.
inline bool next_line(std::string_view& rest, std::string_view& line) {
    if (rest.empty()) {
        return false;
    }
    const auto nl = rest.find('\n');
    line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    return true;
}

// Splits off the next space-separated field (runs of spaces or tabs count as one); returns
// false when none is left.
inline bool next_field(std::string_view& rest, std::string_view& field) {
    const auto start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) {
        rest = {};
        return false;
    }
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \t");
    field = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    return true;
}

// For error messages: the offending text, short and printable.
inline std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s.substr(0, 40)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out + (s.size() > 40 ? "...\"" : "\"");
}

// Digits only (no sign, no spaces), the whole text consumed; `base` 10 or 16.
inline std::optional<std::uint64_t> parse_u64(std::string_view s, int base = 10) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace stagehand::os::scan
