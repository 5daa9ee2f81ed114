#pragma once
// The real ProcessRunner: posix_spawn with an argv vector (never a shell).

#include <chrono>
#include <memory>

#include "os/process/process.hpp"

namespace stagehand::os {

// Thread-safe: several threads may call run() at once (validate-service runs probes in
// parallel). Every child gets stdin /dev/null, stdout/stderr on private pipes, only fds 0-2,
// its own process group, an empty signal mask and default signal dispositions.
// On the deadline or cancellation the whole group gets SIGTERM, then after `grace` SIGKILL,
// and the child is always reaped before run() returns.
class PosixProcessRunner final : public ProcessRunner {
  public:
    static constexpr std::chrono::milliseconds k_default_grace{2000};

    // `grace`: time between SIGTERM and SIGKILL (tests shorten it).
    explicit PosixProcessRunner(std::chrono::milliseconds grace = k_default_grace)
        : m_grace(grace) {}

    // Error only when the process could not be started (executable missing, exec or chdir
    // failed). A deadline already passed or a Cancel already fired returns timed_out /
    // cancelled without starting anything.
    util::Result<ProcessOutcome> run(const ProcessSpec& spec, MonoTime deadline,
                                     const Cancel& cancel) override;

  private:
    std::chrono::milliseconds m_grace;
};

}  // namespace stagehand::os
