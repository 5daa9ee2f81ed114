#pragma once
// What a step gets to work with: the host adapters (interfaces, so tests pass fakes), the
// run's one deadline and its cancellation. Built once in the hook runtime.

#include "os/docker/docker.hpp"
#include "os/memory/memory.hpp"
#include "os/process/process.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/log.hpp"

namespace stagehand::steps {

struct Context {
    os::Clock& clock;
    const os::Cancel& cancel;
    os::MonoTime deadline;  // the run's deadline (SPEC section 2)
    util::Log& log;
    os::ProcessRunner& runner;
    os::Docker* docker = nullptr;  // null in before-install when stop/prune are off
    os::Compose* compose = nullptr;
};

}  // namespace stagehand::steps
