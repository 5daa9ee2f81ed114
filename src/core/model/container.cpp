#include "core/model/container.hpp"

namespace stagehand::core {

CrashKind crash_kind(const ContainerFacts& facts, CleanExit clean_exit) {
    // The OOM kill first: a container its policy restarted after the kill was still hit.
    if (is_oom_kill(facts.oom.kind)) {
        return CrashKind::oom_killed;
    }
    if (facts.restarting) {
        return CrashKind::restarting;
    }
    if (facts.dead) {
        return CrashKind::exited;
    }
    if (facts.exited && !(clean_exit == CleanExit::completes && facts.exit_code == 0)) {
        return CrashKind::exited;
    }
    return CrashKind::none;
}

}  // namespace stagehand::core
