#pragma once
// A ProcessRunner for tests of steps that must not start a process: every run fails.

#include <cerrno>

#include "os/process/process.hpp"

namespace stagehand::testing {

class NoRunner final : public os::ProcessRunner {
  public:
    util::Result<os::ProcessOutcome> run(const os::ProcessSpec&, os::MonoTime,
                                         const os::Cancel&) override {
        return util::Error{"no processes in this test", ENOSYS};
    }
};

}  // namespace stagehand::testing
