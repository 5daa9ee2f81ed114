#pragma once
// Pure parsers for the CPU figures of the host (/proc/stat) and of cgroups (v1 cpu and
// cpuacct, v2 cpu.max and cpu.stat). They take the file's text and never touch the file
// system; errors say what was expected (callers prefix the file name). Tested on fixtures
// captured from real hosts (tests/fixtures/proc/stat, tests/fixtures/cpu).

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/result.hpp"

namespace stagehand::os {

struct ProcStatCpu {
    std::uint64_t busy_ticks = 0;  // USER_HZ ticks not idle and not waiting for I/O
    int online_cpus = 0;           // "cpuN" lines: the kernel lists online CPUs only
};

// The aggregate "cpu" line and the count of "cpuN" lines of /proc/stat. Error when the
// aggregate line is missing, has fewer than 4 numbers, or a number overflows.
util::Result<ProcStatCpu> parse_proc_stat(std::string_view text);

// cgroup v2 cpu.max ("QUOTA PERIOD" in microseconds): CPUs allowed (quota / period), or
// nullopt for no limit ("max ..."). Error on anything else, or a zero period.
util::Result<std::optional<double>> parse_cpu_max(std::string_view text);

// cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us: CPUs allowed, or nullopt for no limit
// (quota -1). Error on anything else, or a zero period.
util::Result<std::optional<double>> parse_cfs_quota(std::string_view quota,
                                                    std::string_view period);

// cgroup v2 cpu.stat: usage_usec, in nanoseconds. Error when the key is missing or malformed.
util::Result<std::uint64_t> parse_cpu_stat_usage_ns(std::string_view text);

// cgroup v1 cpuacct.usage: one number of nanoseconds.
util::Result<std::uint64_t> parse_cpuacct_usage_ns(std::string_view text);

}  // namespace stagehand::os
