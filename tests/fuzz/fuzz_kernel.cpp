// The /proc and cgroup parsers of os/memory (memory, CPU, listening sockets, OOM counters):
// any input yields a value or an error with a message, never a crash. Every parser sees every
// input: they are cheap, and a table fragment is as good a test of the pid parser as anything.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "os/memory/cpu_parsers.hpp"
#include "os/memory/oom_parsers.hpp"
#include "os/memory/parsers.hpp"
#include "os/memory/socket_parsers.hpp"

namespace {

template <class Result>
void check(const Result& result) {
    if (!result.ok() && result.error().message.empty()) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand::os;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(parse_tcp_listeners(text));
    check(parse_pid_list(text));
    check(parse_proc_stat(text));
    check(parse_cpu_max(text));
    check(parse_cpu_stat_usage_ns(text));
    check(parse_cpuacct_usage_ns(text));
    check(parse_proc_cgroup(text));
    check(parse_meminfo(text));
    check(parse_psi_some_avg10(text));
    check(parse_cgroup_limit(text));
    check(parse_keyed_value(text, "inactive_file"));
    check(parse_vmstat_oom_kill(text));
    check(parse_memory_events(text));
    check(parse_oom_control(text));
    (void)parse_socket_link(text);
    // Two files at once (cpu.cfs_quota_us, cpu.cfs_period_us): split at the first newline.
    const auto newline = text.find('\n');
    check(parse_cfs_quota(text.substr(0, newline),
                          newline == std::string_view::npos ? "" : text.substr(newline + 1)));
    if (auto stat = parse_proc_stat(text); stat.ok() && stat->online_cpus < 0) {
        std::abort();
    }
    // Counters are counts: never negative.
    if (auto kills = parse_vmstat_oom_kill(text); kills.ok() && *kills < 0) {
        std::abort();
    }
    if (auto events = parse_memory_events(text);
        events.ok() && (events->oom < 0 || events->oom_kill < 0)) {
        std::abort();
    }
    if (auto control = parse_oom_control(text);
        control.ok() && control->oom_kill && *control->oom_kill < 0) {
        std::abort();
    }
    if (auto limit = parse_cpu_max(text); limit.ok() && *limit && !(**limit > 0.0)) {
        std::abort();  // a limit is a positive number of CPUs, never 0 or NaN
    }
    return 0;
}
