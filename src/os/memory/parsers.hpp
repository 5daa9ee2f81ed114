#pragma once
// Pure parsers for /proc and cgroup memory files. They take the file's text and never touch
// the file system; errors say what was expected (callers prefix the file name). Tested on
// fixtures captured from real hosts (tests/fixtures/proc, tests/fixtures/memory).

#include <optional>
#include <string>
#include <string_view>

#include "core/model/types.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct MeminfoFigures {
    core::Bytes total = 0;      // MemTotal
    core::Bytes available = 0;  // MemAvailable
};

// MemTotal and MemAvailable from /proc/meminfo, in bytes. Error when either is missing,
// lacks its "kB" unit (a truncated file) or overflows.
util::Result<MeminfoFigures> parse_meminfo(std::string_view text);

// The "some avg10" percentage from a PSI file (/proc/pressure/memory, memory.pressure).
// Error when the "some" line or its avg10 field is missing or not a number in [0, 100].
util::Result<double> parse_psi_some_avg10(std::string_view text);

// A single byte count (memory.current, memory.usage_in_bytes). Error unless the text is one
// non-negative decimal number that fits core::Bytes (surrounding whitespace allowed).
util::Result<core::Bytes> parse_cgroup_bytes(std::string_view text);

// Anything at or above this is "no limit": cgroup v1 reports an unlimited cgroup as
// LONG_MAX rounded down to a page (9223372036854771712 with 4 KiB pages, another figure
// with 64 KiB pages), and no machine has an exbibyte of memory.
constexpr core::Bytes k_unlimited_threshold = core::Bytes{1} << 60;

// A memory limit (memory.max, memory.limit_in_bytes): a number, or nullopt for no limit
// ("max", or a number >= k_unlimited_threshold, up to 2^64 - 1).
util::Result<std::optional<core::Bytes>> parse_cgroup_limit(std::string_view text);

// The value of `key` in a flat keyed file ("key value" per line, e.g. memory.stat).
// Error when the key is missing or its value is not a byte count.
util::Result<core::Bytes> parse_keyed_value(std::string_view text, std::string_view key);

// Where a process sits in the memory and CPU hierarchies, from /proc/<pid>/cgroup.
struct ProcCgroup {
    std::optional<std::string> v1_memory;   // path in the v1 "memory" hierarchy
    std::optional<std::string> v1_cpu;      // the v1 "cpu" (CFS quota) hierarchy
    std::optional<std::string> v1_cpuacct;  // the v1 "cpuacct" (usage) hierarchy
    std::optional<std::string> unified;     // path in the v2 hierarchy (the "0::" line)
};

// Error on a line that is not "ID:CONTROLLERS:PATH" with a numeric ID and an absolute path.
util::Result<ProcCgroup> parse_proc_cgroup(std::string_view text);

}  // namespace stagehand::os
