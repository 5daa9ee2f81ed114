#pragma once
// Pure parsers for the kernel's OOM-kill counters. They take the file's text and never touch
// the file system; errors say what was expected (callers prefix the file name). Tested on
// fixtures (tests/fixtures/proc/vmstat, tests/fixtures/memory/oom).

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/result.hpp"

namespace stagehand::os {

// /proc/vmstat oom_kill: every process the kernel's OOM killer killed since boot, system-wide
// or inside a cgroup limit (Linux 4.13+). Error when the line is missing or not a number.
util::Result<std::int64_t> parse_vmstat_oom_kill(std::string_view text);

// cgroup v2 memory.events (and memory.events.local, same format).
struct MemoryEvents {
    std::int64_t oom = 0;       // a limit was reached and an allocation was about to fail
    std::int64_t oom_kill = 0;  // processes killed by any kind of OOM killer
};

// Error when the oom or oom_kill line is missing or not a number.
util::Result<MemoryEvents> parse_memory_events(std::string_view text);

// cgroup v1 memory.oom_control.
struct OomControl {
    bool oom_kill_disable = false;
    bool under_oom = false;                // an OOM is being handled right now
    std::optional<std::int64_t> oom_kill;  // nullopt before Linux 4.13
};

// Error when oom_kill_disable or under_oom is missing, or any of the three is not a number.
util::Result<OomControl> parse_oom_control(std::string_view text);

}  // namespace stagehand::os
