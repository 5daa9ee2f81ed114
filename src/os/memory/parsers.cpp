#include "os/memory/parsers.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "os/memory/text_scan.hpp"

namespace stagehand::os {

namespace {

using scan::next_line;
using scan::parse_u64;
using scan::quoted;
using scan::trim;

util::Result<core::Bytes> to_bytes(std::string_view digits, std::uint64_t unit) {
    const auto value = parse_u64(digits);
    if (!value) {
        const bool too_big =
            !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
        return util::Error{too_big ? "number out of range: " + quoted(digits)
                                   : "expected a number, got " + quoted(digits)};
    }
    constexpr auto k_max = static_cast<std::uint64_t>(std::numeric_limits<core::Bytes>::max());
    if (*value > k_max / unit) {
        return util::Error{"number out of range: " + quoted(digits)};
    }
    return static_cast<core::Bytes>(*value * unit);
}

}  // namespace

// /proc/meminfo (values in KiB; the "kB" unit marks a complete line):
//   MemTotal:        1006788 kB
//   MemFree:          118344 kB
//   MemAvailable:     541216 kB
//   ...
//   HugePages_Total:       0
util::Result<MeminfoFigures> parse_meminfo(std::string_view text) {
    std::optional<core::Bytes> total;
    std::optional<core::Bytes> available;
    std::string_view rest = text;
    std::string_view line;
    while (next_line(rest, line)) {
        const auto colon = line.find(':');
        const std::string_view key = line.substr(0, colon);
        std::optional<core::Bytes>* slot = key == "MemTotal"       ? &total
                                           : key == "MemAvailable" ? &available
                                                                   : nullptr;
        if (slot == nullptr || slot->has_value() || colon == std::string_view::npos) {
            continue;  // other fields, or a repeated key (the first one counts)
        }
        std::string_view value = trim(line.substr(colon + 1));
        if (value.size() < 3 || value.substr(value.size() - 3) != " kB") {
            return util::Error{std::string(key) + ": expected \"<number> kB\", got " +
                               quoted(value)};
        }
        auto bytes = to_bytes(trim(value.substr(0, value.size() - 3)), 1024);
        if (!bytes) {
            return util::Error{std::string(key) + ": " + bytes.error().message};
        }
        *slot = *bytes;
    }
    if (!total) {
        return util::Error{"no MemTotal line"};
    }
    if (!available) {
        return util::Error{"no MemAvailable line (kernel older than 3.14?)"};
    }
    return MeminfoFigures{*total, *available};
}

// /proc/pressure/memory and a v2 cgroup's memory.pressure (Linux 4.20+; percentages over
// 10 s, 60 s and 300 s windows, total stall time in microseconds):
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
util::Result<double> parse_psi_some_avg10(std::string_view text) {
    std::string_view rest = text;
    std::string_view line;
    while (next_line(rest, line)) {
        if (line.substr(0, 5) != "some ") {
            continue;
        }
        const auto at = line.find(" avg10=");
        if (at == std::string_view::npos) {
            return util::Error{"no avg10 in the \"some\" line: " + quoted(line)};
        }
        std::string_view field = line.substr(at + 7);
        field = field.substr(0, field.find(' '));
        double value = 0.0;
        const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
        if (field.empty() || ec != std::errc{} || end != field.data() + field.size() ||
            !std::isfinite(value) || value < 0.0 || value > 100.0) {
            return util::Error{"avg10: expected a percentage, got " + quoted(field)};
        }
        return value;
    }
    return util::Error{"no \"some\" line"};
}

// memory.current (v2) or memory.usage_in_bytes (v1): one number of bytes.
//   187236352
util::Result<core::Bytes> parse_cgroup_bytes(std::string_view text) {
    return to_bytes(trim(text), 1);
}

// memory.max (v2):              max            or  1073741824
// memory.limit_in_bytes (v1):   9223372036854771712 (no limit)  or  1073741824
util::Result<std::optional<core::Bytes>> parse_cgroup_limit(std::string_view text) {
    const std::string_view value = trim(text);
    if (value == "max") {
        return std::optional<core::Bytes>{};
    }
    const auto number = parse_u64(value);
    if (!number) {
        return util::Error{"expected a number or \"max\", got " + quoted(value)};
    }
    if (*number >= static_cast<std::uint64_t>(k_unlimited_threshold)) {
        return std::optional<core::Bytes>{};
    }
    return std::optional<core::Bytes>{static_cast<core::Bytes>(*number)};
}

// memory.stat, v2:            v1 (the total_ figures include descendants):
//   anon 102400000              cache 253952
//   file 52428800               rss 1708032
//   inactive_file 41943040      total_inactive_file 28672
util::Result<core::Bytes> parse_keyed_value(std::string_view text, std::string_view key) {
    std::string_view rest = text;
    std::string_view line;
    while (next_line(rest, line)) {
        const auto space = line.find(' ');
        if (space == std::string_view::npos || line.substr(0, space) != key) {
            continue;
        }
        auto value = to_bytes(trim(line.substr(space + 1)), 1);
        if (!value) {
            return util::Error{std::string(key) + ": " + value.error().message};
        }
        return value;
    }
    return util::Error{"no " + std::string(key) + " line"};
}

// /proc/<pid>/cgroup, one line per hierarchy (ID:CONTROLLERS:PATH); v2 is the "0::" line.
// Hybrid (Amazon Linux 2, Debian 10):   Unified (Amazon Linux 2023):
//   11:memory:/docker/3f2a...             0::/system.slice/docker-3f2a....scope
//   1:name=systemd:/docker/3f2a...
//   0::/docker/3f2a...
util::Result<ProcCgroup> parse_proc_cgroup(std::string_view text) {
    ProcCgroup result;
    std::string_view rest = text;
    std::string_view line;
    for (int number = 1; next_line(rest, line); ++number) {
        if (trim(line).empty()) {
            continue;
        }
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        // The path may itself contain ':', so only the first two colons split.
        if (second == std::string_view::npos || !parse_u64(line.substr(0, first)) ||
            line.substr(second + 1, 1) != "/") {
            return util::Error{"line " + std::to_string(number) +
                               ": expected ID:CONTROLLERS:PATH, got " + quoted(line)};
        }
        const std::string_view controllers = line.substr(first + 1, second - first - 1);
        const std::string path(line.substr(second + 1));
        if (line.substr(0, first) == "0" && controllers.empty()) {
            result.unified = path;
            continue;
        }
        std::string_view list = controllers;
        std::string_view name;
        while (!list.empty()) {
            const auto comma = list.find(',');
            name = list.substr(0, comma);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            if (name == "memory") {
                result.v1_memory = path;
            } else if (name == "cpu") {
                result.v1_cpu = path;
            } else if (name == "cpuacct") {
                result.v1_cpuacct = path;
            }
        }
    }
    return result;
}

}  // namespace stagehand::os
