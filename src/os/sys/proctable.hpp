#pragma once
// The host's process table through libproc2's pids API, to say what holds memory when it is
// short ("memory is short: 310 MiB missing; largest: java 612 MiB, dockerd 88 MiB").

#include <mutex>
#include <vector>

#include "os/memory/memory.hpp"

namespace stagehand::os {

// Cheap to construct (libproc2 is opened per call, so no fd stays open between calls);
// thread-safe (calls are serialised: libproc2 keeps some per-process state).
class Proc2ProcessTable final : public ProcessTable {
  public:
    Proc2ProcessTable() = default;
    // The `count` processes with the largest resident set, largest first; processes without
    // RSS (kernel threads) are left out. Error when /proc cannot be read.
    util::Result<std::vector<ProcessUsage>> largest(int count) override;

  private:
    std::mutex m_mutex;
};

}  // namespace stagehand::os
