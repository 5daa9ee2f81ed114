#include "os/memory/oom_parsers.hpp"

#include <string>

#include "os/memory/parsers.hpp"

namespace stagehand::os {

namespace {

// The text after "key " on the first line that starts with it, in a "key value" file.
std::optional<std::string_view> value_of(std::string_view text, std::string_view key) {
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.size() > key.size() && line.substr(0, key.size()) == key &&
            line[key.size()] == ' ') {
            return line.substr(key.size() + 1);
        }
    }
    return std::nullopt;
}

// The count after `key` (a non-negative 64-bit number); nullopt when the key is absent.
util::Result<std::optional<std::int64_t>> optional_count(std::string_view text,
                                                         std::string_view key) {
    const auto value = value_of(text, key);
    if (!value) {
        return std::optional<std::int64_t>{};
    }
    auto count = parse_cgroup_bytes(*value);
    if (!count) {
        return util::Error{std::string(key) + ": " + count.error().message};
    }
    return std::optional<std::int64_t>{*count};
}

util::Result<std::int64_t> required_count(std::string_view text, std::string_view key) {
    auto value = optional_count(text, key);
    if (!value) {
        return value.error();
    }
    if (!*value) {
        return util::Error{"no " + std::string(key) + " line"};
    }
    return **value;
}

}  // namespace

// /proc/vmstat, one "name value" a line (Linux 6.1 has ~180 of them):
//   nr_free_pages 118344
//   ...
//   oom_kill 2
util::Result<std::int64_t> parse_vmstat_oom_kill(std::string_view text) {
    auto kills = required_count(text, "oom_kill");
    if (!kills) {
        return util::Error{kills.error().message + " (kernel older than 4.13?)"};
    }
    return kills;
}

// memory.events (v2; memory.events.local counts this cgroup alone, Linux 5.2+):
//   low 0
//   high 0
//   max 31
//   oom 1
//   oom_kill 1
//   oom_group_kill 0      (Linux 5.17+)
util::Result<MemoryEvents> parse_memory_events(std::string_view text) {
    auto oom = required_count(text, "oom");
    if (!oom) {
        return oom.error();
    }
    auto oom_kill = required_count(text, "oom_kill");
    if (!oom_kill) {
        return oom_kill.error();
    }
    return MemoryEvents{*oom, *oom_kill};
}

// memory.oom_control (v1; the oom_kill line since Linux 4.13):
//   oom_kill_disable 0
//   under_oom 0
//   oom_kill 1
util::Result<OomControl> parse_oom_control(std::string_view text) {
    auto disable = required_count(text, "oom_kill_disable");
    if (!disable) {
        return disable.error();
    }
    auto under = required_count(text, "under_oom");
    if (!under) {
        return under.error();
    }
    auto kills = optional_count(text, "oom_kill");
    if (!kills) {
        return kills.error();
    }
    return OomControl{*disable != 0, *under != 0, *kills};
}

}  // namespace stagehand::os
