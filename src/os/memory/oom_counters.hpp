#pragma once
// The kernel's OOM-kill counters around one container, read while it runs and again after it
// died, for core::classify_oom: /proc/vmstat oom_kill (every OOM kill on the host), and the
// container's memory cgroup with each parent up to the hierarchy's root -- cgroup v2
// memory.events (+ memory.events.local), v1 memory.oom_control -- with each level's limit.

#include <string>

#include "core/oom/oom_kill.hpp"
#include "util/result.hpp"

namespace stagehand::os {

class OomCounterReader {
  public:
    virtual ~OomCounterReader() = default;
    // The counters of the container whose main process is `container_pid`, found through
    // /proc/PID/cgroup. Error with code ESRCH when the process is gone; other errors: no
    // memory cgroup, files unreadable or malformed.
    virtual util::Result<core::OomCounters> read(int container_pid) = 0;
    // The same counters again: /proc/vmstat and each level of `before` (a level that cannot
    // be read is marked unreadable: Docker removes a container's cgroup as it dies). Never
    // fails; what cannot be read is left unknown.
    virtual core::OomCounters read_again(const core::OomCounters& before) = 0;
};

// The real counters, every path taken under `root` ("/" on a host; a fixture tree in tests).
class KernelOomCounters final : public OomCounterReader {
  public:
    explicit KernelOomCounters(std::string root = "/") : m_root(std::move(root)) {}
    util::Result<core::OomCounters> read(int container_pid) override;
    core::OomCounters read_again(const core::OomCounters& before) override;

  private:
    std::string m_root;
};

}  // namespace stagehand::os
