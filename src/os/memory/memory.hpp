#pragma once
// Memory figures the start gate decides on. Parsers take std::string_view and are tested on
// captured fixtures; the readers below only do the file I/O.

#include <cstdint>
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
    // The kernel's high-water mark of the container's memory cgroup (v1
    // memory.max_usage_in_bytes, v2 memory.peak); nullopt where the kernel has none (v2 before
    // Linux 5.19). Error ESRCH when the process is gone.
    virtual util::Result<std::optional<core::Bytes>> peak(int container_pid) = 0;
    // Cumulative CPU time of the container's cgroup in nanoseconds (v1 cpuacct.usage, v2
    // cpu.stat usage_usec). Error ESRCH when the process is gone.
    virtual util::Result<std::uint64_t> cpu_usage_ns(int container_pid) = 0;
    // TCP ports (IPv4 and IPv6) on which a process of the container's cgroup holds a LISTEN
    // socket: socket inodes from /proc/PID/fd matched in /proc/PID/net/tcp and tcp6 (the
    // process's own network namespace). Sorted, unique. Error ESRCH when the process is gone.
    virtual util::Result<std::vector<std::uint16_t>> listening_ports(int container_pid) = 0;
};

// Cumulative busy CPU time of the host or of a CPU-limited cgroup; the loop turns two samples
// into "idle CPU over the last second".
struct CpuSample {
    std::uint64_t used_ns = 0;  // busy time since boot (host) or since the cgroup was made
    double cpus = 1.0;          // capacity: online CPUs, or the cgroup's quota/period (capped)
    std::string source;  // "host /proc/stat (2 CPUs)", "cgroup v1 .../stagehand-t2micro (1 CPU)"
};
class CpuReader {
  public:
    virtual ~CpuReader() = default;
    virtual util::Result<CpuSample> read() = 0;
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
