#pragma once
// What killed a container that died by SIGKILL (exit code 137): the kernel's OOM killer --
// and then which limit, or the host running out of memory -- or someone else's SIGKILL
// (SPEC section 5). Decided from the kernel's OOM counters read before the container died
// and again after, never from Docker's OOMKilled flag alone: Docker 20.10 leaves it false for
// a system-wide kill, does not set it reliably for a kill inside the container's own limit
// (VM.md, Memory pressure), and on cgroup v1 sets it on bystanders under a limited parent.
// Pure: the readers in os/memory/oom_counters fill OomCounters, the steps call classify.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/types.hpp"

namespace stagehand::core {

enum class OomKind {
    none,          // not classified: the container did not die by SIGKILL
    not_oom,       // SIGKILL from someone else (docker kill, a stop timeout, a person)
    system_wide,   // the host ran out of memory: no cgroup limit on its path was reached
    own_limit,     // its own cgroup's memory limit (compose mem_limit)
    parent_limit,  // the limit of a parent cgroup it shares with others (cgroup_parent)
    reported,      // a limit, as Docker's OOMKilled flag says: its cgroup was never read
    unknown,       // SIGKILL, no counters from before its death and no flag: cannot tell
};

// "none", "not_oom", "system_wide", "own_limit", "parent_limit", "reported", "unknown" (the
// report's oom_kill field).
const char* to_string(OomKind kind);

// True for the kinds that are an OOM kill.
bool is_oom_kill(OomKind kind);

// One memory cgroup on a container's path, as read at one moment.
struct OomLevel {
    std::string cgroup;          // path inside the hierarchy, "/stagehand-t2micro/3f2a..."
    std::string folder;          // where it was read on the host, to read it again
    std::optional<Bytes> limit;  // nullopt: no limit at this level
    bool readable = false;       // false: gone (Docker removes a container's cgroup as it dies)
    // v2 memory.events oom_kill (this cgroup and below); v1 memory.oom_control oom_kill (this
    // cgroup's own processes only; kernel 4.13+). nullopt where the kernel has none.
    std::optional<std::int64_t> oom_kill;
    // v2 only: how often a limit was reached and an allocation was about to fail, at this
    // level or below (memory.events oom), and at this level alone (memory.events.local oom,
    // kernel 5.2+). cgroup v1 has no such counter.
    std::optional<std::int64_t> oom_events;
    std::optional<std::int64_t> oom_events_local;
};

struct OomCounters {
    int cgroup_version = 0;                     // 1 or 2; 0: no memory cgroup found
    std::optional<std::int64_t> host_oom_kill;  // /proc/vmstat oom_kill (every kernel OOM kill)
    std::vector<OomLevel> levels;               // the container's own cgroup first, then parents
};

// How the container ended.
struct ExitFacts {
    int exit_code = 0;
    bool docker_oom_killed = false;  // Docker's OOMKilled flag
};

struct OomVerdict {
    OomKind kind = OomKind::none;
    std::string limit_cgroup;        // own_limit / parent_limit: the cgroup whose limit it was
    Bytes limit = 0;                 // and that limit
    std::optional<Bytes> available;  // system_wide: the lowest available memory seen before
};

// The classification (the rule is written out at the definition). `before`: read while the
// container ran (nullopt when it was never seen running); `after`: read after it died.
OomVerdict classify_oom(const std::optional<OomCounters>& before, const OomCounters& after,
                        const ExitFacts& exit);

// How a service's container ended, in the words of verdicts and diagnoses:
//   "chat-service was killed by the kernel's OOM killer (system-wide: the host ran out of
//    memory; available was 38 MiB)"
//   "chat-service was killed by the kernel's OOM killer (its own limit of 256 MiB)"
//   "chat-service was killed by the kernel's OOM killer (the limit of its parent cgroup
//    /stagehand-t2micro: 1024 MiB)"
//   "chat-service was killed by SIGKILL (exit code 137, not by the OOM killer)"
//   "chat-service was killed by SIGKILL (exit code 137; no OOM counters from before it died
//    to tell whether the OOM killer did it)"
//   "chat-service exited with code 3" (kind none)
std::string describe_exit(const std::string& service, const OomVerdict& verdict, int exit_code);

}  // namespace stagehand::core
