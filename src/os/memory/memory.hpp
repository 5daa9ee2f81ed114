#pragma once
// Memory figures the start gate decides on. Parsers take std::string_view and are tested on
// captured fixtures; the readers below only do the file I/O.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/types.hpp"
#include "util/result.hpp"

namespace stagehand::os {

struct MemorySnapshot {
    core::Bytes total = 0;                 // MemTotal, or the cgroup limit
    core::Bytes available = 0;             // MemAvailable, or limit - usage + inactive file cache
    std::optional<double> psi_some_avg10;  // percent; nullopt where the kernel has no PSI
    std::string source;                    // "meminfo" or "cgroup v1 /sys/fs/cgroup/memory/t2micro"
};

class MemoryReader {
  public:
    virtual ~MemoryReader() = default;
    virtual util::Result<MemorySnapshot> read() = 0;
    virtual std::string describe() const = 0;
};

// Memory in use by one container, found through its main process's cgroup
// (/proc/<pid>/cgroup), which works for cgroupfs and systemd drivers, v1 and v2.
class ContainerMemory {
  public:
    virtual ~ContainerMemory() = default;
    // Bytes charged to the container's cgroup (usage minus inactive file cache).
    virtual util::Result<core::Bytes> usage(int container_pid) = 0;
};

struct ProcessUsage {
    int pid = 0;
    std::string command;  // sanitised short command name
    core::Bytes rss = 0;
};

// The largest processes on the host (libproc2's process table), to say what holds memory.
class ProcessTable {
  public:
    virtual ~ProcessTable() = default;
    virtual util::Result<std::vector<ProcessUsage>> largest(int count) = 0;
};

}  // namespace stagehand::os
