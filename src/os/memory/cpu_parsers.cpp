#include "os/memory/cpu_parsers.hpp"

#include <array>
#include <limits>
#include <string>

#include "os/memory/text_scan.hpp"

namespace stagehand::os {

namespace {

using scan::next_field;
using scan::next_line;
using scan::parse_u64;
using scan::quoted;
using scan::trim;

util::Result<std::uint64_t> number(std::string_view text, std::string_view what) {
    const auto value = parse_u64(trim(text));
    if (!value) {
        return util::Error{std::string(what) + ": expected a number, got " + quoted(trim(text))};
    }
    return *value;
}

// "cpu0", "cpu17": a per-CPU line (the aggregate line is "cpu" alone).
bool is_per_cpu(std::string_view name) {
    return name.size() > 3 && name.substr(0, 3) == "cpu" && parse_u64(name.substr(3));
}

// user nice system idle iowait irq softirq steal: the eight fields that add up to the total.
// guest and guest_nice (fields 9, 10) are already counted in user and nice (kernel
// fs/proc/stat.c), and kernels before 2.6.33 print fewer fields.
util::Result<std::uint64_t> busy_ticks(std::string_view fields) {
    constexpr std::size_t k_summed = 8;
    std::array<std::uint64_t, k_summed> ticks{};
    std::size_t count = 0;
    std::string_view field;
    while (count < k_summed && next_field(fields, field)) {
        const auto value = parse_u64(field);
        if (!value) {
            return util::Error{"cpu line: expected a number, got " + quoted(field)};
        }
        ticks[count++] = *value;
    }
    if (count < 4) {
        return util::Error{"cpu line: expected at least 4 numbers (user nice system idle)"};
    }
    std::uint64_t total = 0;
    for (const std::uint64_t value : ticks) {
        if (value > std::numeric_limits<std::uint64_t>::max() - total) {
            return util::Error{"cpu line: number out of range"};
        }
        total += value;
    }
    return total - ticks[3] - ticks[4];  // minus idle and iowait
}

util::Result<std::optional<double>> cpus(std::uint64_t quota, std::uint64_t period) {
    if (period == 0 || quota == 0) {
        return util::Error{std::string(period == 0 ? "period" : "quota") +
                           ": expected a positive number, got 0"};
    }
    return std::optional<double>{static_cast<double>(quota) / static_cast<double>(period)};
}

}  // namespace

// /proc/stat (ticks of USER_HZ since boot; only the cpu lines matter here):
//   cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
//   cpu0 5066077 145348 1542360 23414241 8341 0 12597 0 87814 0
//   cpu1 5066076 145348 1542359 23414242 8342 0 12598 0 87814 0
//   intr 1462898 ...
util::Result<ProcStatCpu> parse_proc_stat(std::string_view text) {
    std::optional<std::uint64_t> busy;
    int online = 0;
    std::string_view rest = text;
    std::string_view line;
    while (next_line(rest, line)) {
        std::string_view name;
        if (!next_field(line, name)) {
            continue;
        }
        if (name == "cpu" && !busy) {
            auto ticks = busy_ticks(line);
            if (!ticks) {
                return ticks.error();
            }
            busy = *ticks;
        } else if (is_per_cpu(name)) {
            ++online;
        }
    }
    if (!busy) {
        return util::Error{"no aggregate \"cpu\" line"};
    }
    return ProcStatCpu{*busy, online};
}

// cpu.max (v2):   max 100000   (no limit)    or    150000 100000   (1.5 CPUs)
util::Result<std::optional<double>> parse_cpu_max(std::string_view text) {
    std::string_view rest = trim(text);
    std::string_view quota;
    std::string_view period;
    std::string_view extra;
    if (!next_field(rest, quota) || !next_field(rest, period) || next_field(rest, extra)) {
        return util::Error{"expected \"QUOTA PERIOD\", got " + quoted(trim(text))};
    }
    auto period_us = number(period, "period");
    if (!period_us) {
        return period_us.error();
    }
    if (quota == "max") {
        return std::optional<double>{};
    }
    auto quota_us = number(quota, "quota");
    if (!quota_us) {
        return util::Error{"quota: expected a number or \"max\", got " + quoted(quota)};
    }
    return cpus(*quota_us, *period_us);
}

// cpu.cfs_quota_us (v1):  -1  (no limit)  or  100000;   cpu.cfs_period_us:  100000
util::Result<std::optional<double>> parse_cfs_quota(std::string_view quota,
                                                    std::string_view period) {
    auto period_us = number(period, "period");
    if (!period_us) {
        return period_us.error();
    }
    if (trim(quota) == "-1") {
        return std::optional<double>{};
    }
    auto quota_us = number(quota, "quota");
    if (!quota_us) {
        return util::Error{"quota: expected a number or -1, got " + quoted(trim(quota))};
    }
    return cpus(*quota_us, *period_us);
}

// cpu.stat (v2; the usage keys exist whether or not the cpu controller is enabled):
//   usage_usec 4410431
//   user_usec 3210044
//   system_usec 1200387
//   nr_periods 0
util::Result<std::uint64_t> parse_cpu_stat_usage_ns(std::string_view text) {
    std::string_view rest = text;
    std::string_view line;
    while (next_line(rest, line)) {
        std::string_view key;
        if (!next_field(line, key) || key != "usage_usec") {
            continue;
        }
        auto usec = number(line, "usage_usec");
        if (!usec) {
            return usec.error();
        }
        if (*usec > std::numeric_limits<std::uint64_t>::max() / 1000) {
            return util::Error{"usage_usec: number out of range"};
        }
        return *usec * 1000;
    }
    return util::Error{"no usage_usec line"};
}

// cpuacct.usage (v1): nanoseconds of CPU time used by the cgroup and its descendants.
//   4410431337
util::Result<std::uint64_t> parse_cpuacct_usage_ns(std::string_view text) {
    return number(text, "cpuacct.usage");
}

}  // namespace stagehand::os
