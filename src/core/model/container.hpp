#pragma once
// Whether a container has crashed, as the start gate (SPEC section 5) and validate-service
// (section 7) both judge it: one rule, so a container the gate fails the sequence on is one
// validate-service fails a check on. Pure: the steps read Docker's state and the OOM
// classification (core/oom) into ContainerFacts; the callers word the result.

#include "core/oom/oom_kill.hpp"

namespace stagehand::core {

// What Docker and the OOM classification say about a container at one moment.
struct ContainerFacts {
    bool restarting = false;  // its restart policy is bringing it back after an exit
    bool exited = false;      // stopped: neither running, restarting nor only created
    bool dead = false;        // Docker's "dead" state: it could not be stopped or removed
    int exit_code = 0;
    OomVerdict oom;  // what killed it when it died by SIGKILL (core/oom)
};

enum class CrashKind {
    none,        // running, created, or an exit with code 0 that counts as a completion
    oom_killed,  // the kernel's OOM killer killed it (whether or not it runs again)
    restarting,  // it exited and its restart policy is bringing it back
    exited,      // it exited (non-zero, or 0 where that is no completion) or is dead
};

// What an exit with code 0 means: a crash for a service that must keep running while the
// gate starts the others; a completion for a one-shot service, and in validate-service,
// whose `running` check reports a clean exit itself.
enum class CleanExit { crash, completes };

CrashKind crash_kind(const ContainerFacts& facts, CleanExit clean_exit);

}  // namespace stagehand::core
