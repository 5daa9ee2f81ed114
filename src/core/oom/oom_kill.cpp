#include "core/oom/oom_kill.hpp"

#include "core/gate/gate.hpp"

namespace stagehand::core {

namespace {

constexpr int k_sigkill_exit = 128 + 9;  // Docker's exit code for a process killed by SIGKILL

// A counter that was read at both moments and went up.
bool grew(const std::optional<std::int64_t>& before, const std::optional<std::int64_t>& after) {
    return before && after && *after > *before;
}

// The same level, readable at both moments, and counting oom_kill: comparable.
bool comparable(const OomLevel& before, const OomLevel& after) {
    return before.readable && after.readable && before.cgroup == after.cgroup && before.oom_kill &&
           after.oom_kill;
}

const OomLevel* after_of(const OomCounters& after, std::size_t index, const OomLevel& before) {
    if (index >= after.levels.size() || after.levels[index].cgroup != before.cgroup) {
        return nullptr;
    }
    return &after.levels[index];
}

// Did the kernel OOM-kill a process of this container? The nearest level that can be compared
// decides. cgroup v2 counts oom_kill at the victim's cgroup and every parent, so a parent that
// counted nothing rules it out; v1 counts it at the victim's own cgroup only (mm/memcontrol.c
// memcg_memory_event: no propagation on the legacy hierarchy), so only that one decides.
// Docker removes the container's cgroup before it reports the death, so the own level is
// mostly gone by then: with nothing to compare, the host's count (which grew) stands.
bool victim_ruled_out(const OomCounters& before, const OomCounters& after) {
    for (std::size_t i = 0; i < before.levels.size(); ++i) {
        const OomLevel* level = after_of(after, i, before.levels[i]);
        if (level != nullptr && comparable(before.levels[i], *level)) {
            return !grew(before.levels[i].oom_kill, level->oom_kill);
        }
        if (before.cgroup_version == 1) {
            return false;
        }
    }
    return false;
}

OomVerdict limit_of(OomKind kind, const OomLevel& level) {
    return OomVerdict{kind, level.cgroup, level.limit.value_or(0), std::nullopt};
}

// cgroup v2: memory.events.local oom of a limited parent says its own limit was reached; a
// limited container's own oom (or, with its cgroup gone, the nearest parent's hierarchical
// oom) says a limit at or below it was.
std::optional<OomVerdict> v2_limit(const OomCounters& before, const OomCounters& after) {
    const OomLevel& own = before.levels.front();
    const OomLevel* own_after = after_of(after, 0, own);
    const bool own_readable = own_after != nullptr && own_after->readable;
    if (own.limit && own_readable && grew(own.oom_events, own_after->oom_events)) {
        return limit_of(OomKind::own_limit, own);
    }
    bool below_reached = false;  // the nearest readable parent counted a limit at or below it
    bool nearest = true;
    for (std::size_t i = 1; i < before.levels.size(); ++i) {
        const OomLevel& level = before.levels[i];
        const OomLevel* now = after_of(after, i, level);
        if (now == nullptr || !now->readable) {
            continue;
        }
        below_reached = below_reached || (nearest && grew(level.oom_events, now->oom_events));
        nearest = false;
        // Without memory.events.local (kernels before 5.2) a parent's oom also counts its
        // children's limits: trusted only when the container has no limit of its own.
        const bool reached = level.oom_events_local
                                 ? grew(level.oom_events_local, now->oom_events_local)
                                 : !own.limit && grew(level.oom_events, now->oom_events);
        if (level.limit && reached) {
            return limit_of(OomKind::parent_limit, level);
        }
    }
    if (own.limit && !own_readable && below_reached) {
        return limit_of(OomKind::own_limit, own);
    }
    return std::nullopt;
}

// cgroup v1 counts no limit hits the kernel keeps after the cgroup is gone (memory.failcnt
// stayed 0 through a limit OOM on 6.18; under_oom is only set while the OOM lasts). Docker's
// OOMKilled flag stands in: containerd sets it from the eventfd on the container's
// memory.oom_control, which the kernel signals for the cgroup whose limit was reached and every
// cgroup below it (mem_cgroup_oom_notify walks the subtree) -- never for a system-wide OOM.
// Measured on this rig (Docker 20.10, kernel 6.18, v1): a container with no limit of its own
// under the 1 GiB stagehand-t2micro parent, killed at that limit: exit 137, OOMKilled true,
// its own oom_kill 1 just before its cgroup went away, the parent's oom_kill still 0.
std::optional<OomVerdict> v1_limit(const OomCounters& before, const ExitFacts& exit) {
    if (!exit.docker_oom_killed) {
        return std::nullopt;
    }
    // The tighter limit is the likelier one; a container's own limit is normally below its
    // parent's, so it is preferred.
    for (std::size_t i = 0; i < before.levels.size(); ++i) {
        if (before.levels[i].limit) {
            return limit_of(i == 0 ? OomKind::own_limit : OomKind::parent_limit, before.levels[i]);
        }
    }
    return OomVerdict{OomKind::reported, "", 0, std::nullopt};
}

}  // namespace

const char* to_string(OomKind kind) {
    switch (kind) {
        case OomKind::none:
            return "none";
        case OomKind::not_oom:
            return "not_oom";
        case OomKind::unknown:
            return "unknown";
        case OomKind::system_wide:
            return "system_wide";
        case OomKind::own_limit:
            return "own_limit";
        case OomKind::parent_limit:
            return "parent_limit";
        case OomKind::reported:
            return "reported";
    }
    return "?";
}

bool is_oom_kill(OomKind kind) {
    return kind == OomKind::system_wide || kind == OomKind::own_limit ||
           kind == OomKind::parent_limit || kind == OomKind::reported;
}

// The rule:
// 1. Only a death by SIGKILL (exit 137) can be an OOM kill. A container that merely shares a
//    limited parent (Docker 20.10 on v1 flags it OOMKilled too) and exits later for another
//    reason is not a victim.
// 2. With no counters from before (no /proc/vmstat oom_kill, kernels before 4.13), Docker's
//    flag is all there is: `reported` when set, else `unknown` (a SIGKILL, cause not known:
//    it was dead when first seen, or the kernel has no counters).
// 3. /proc/vmstat oom_kill did not grow: the kernel killed nobody, someone else sent SIGKILL.
// 4. The container's own counters (v2: its nearest readable cgroup's) did not grow: the
//    kernel's kill was elsewhere; this SIGKILL was someone else's.
// 5. Which limit: v2 from the memory.events oom counters, v1 from Docker's flag (see v1_limit);
//    with the host's count only (its cgroup never read), from Docker's flag.
// 6. Otherwise no limit on its path was reached: the host ran out of memory (system-wide).
OomVerdict classify_oom(const std::optional<OomCounters>& before, const OomCounters& after,
                        const ExitFacts& exit) {
    if (exit.exit_code != k_sigkill_exit) {
        return {};
    }
    if (!before || !before->host_oom_kill || !after.host_oom_kill) {
        return OomVerdict{exit.docker_oom_killed ? OomKind::reported : OomKind::unknown, "", 0,
                          std::nullopt};
    }
    if (!grew(before->host_oom_kill, after.host_oom_kill) || victim_ruled_out(*before, after)) {
        return OomVerdict{OomKind::not_oom, "", 0, std::nullopt};
    }
    if (before->levels.empty()) {
        // Its cgroup was never read (it died within a moment of its start): which limit, if
        // any, only Docker's flag can say.
        return OomVerdict{exit.docker_oom_killed ? OomKind::reported : OomKind::system_wide, "", 0,
                          std::nullopt};
    }
    auto limit = before->cgroup_version == 2 ? v2_limit(*before, after) : v1_limit(*before, exit);
    if (limit) {
        return *limit;
    }
    return OomVerdict{OomKind::system_wide, "", 0, std::nullopt};
}

std::string describe_exit(const std::string& service, const OomVerdict& verdict, int exit_code) {
    const std::string killed = service + " was killed by the kernel's OOM killer";
    switch (verdict.kind) {
        case OomKind::system_wide:
            return killed + " (system-wide: the host ran out of memory" +
                   (verdict.available ? "; available was " + format_mib(*verdict.available) : "") +
                   ")";
        case OomKind::own_limit:
            return killed + " (its own limit of " + format_mib(verdict.limit) + ")";
        case OomKind::parent_limit:
            return killed + " (the limit of its parent cgroup " + verdict.limit_cgroup + ": " +
                   format_mib(verdict.limit) + ")";
        case OomKind::reported:
            return killed + " (a cgroup memory limit, as Docker's OOMKilled flag says)";
        case OomKind::not_oom:
            return service + " was killed by SIGKILL (exit code " + std::to_string(exit_code) +
                   ", not by the OOM killer)";
        case OomKind::unknown:
            return service + " was killed by SIGKILL (exit code " + std::to_string(exit_code) +
                   "; no OOM counters from before it died to tell whether the OOM killer did it)";
        case OomKind::none:
            break;
    }
    return service + " exited with code " + std::to_string(exit_code);
}

}  // namespace stagehand::core
