#pragma once
// The real MemoryReader / ContainerMemory implementations: /proc/meminfo (through libproc2),
// cgroup v1 and v2 memory files, PSI. Every path is taken under a `root` folder ("/" on a
// host; a fixture tree in tests).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "os/memory/memory.hpp"
#include "os/memory/parsers.hpp"

namespace stagehand::os {

enum class CgroupVersion { v1 = 1, v2 = 2 };

// A memory cgroup folder as seen on the host (without the root prefix).
struct CgroupLocation {
    CgroupVersion version = CgroupVersion::v2;
    std::string folder;  // e.g. /sys/fs/cgroup/memory/stagehand-t2micro
};

// "cgroup v1 /sys/fs/cgroup/memory/stagehand-t2micro"
std::string describe(const CgroupLocation& location);

// `path` under `root`: join_root("/", "/proc/meminfo") == "/proc/meminfo",
// join_root("/tmp/tree", "/proc/meminfo") == "/tmp/tree/proc/meminfo".
std::string join_root(const std::string& root, const std::string& path);

// MemTotal / MemAvailable of the host. With root "/" through libproc2's meminfo API (which
// only reads the fixed path /proc/meminfo), falling back to parse_meminfo if libproc2 fails;
// with any other root, parse_meminfo on <root>/proc/meminfo.
util::Result<MeminfoFigures> read_host_meminfo(const std::string& root);

// PSI "some avg10" from a pressure file; nullopt when the kernel offers none (file absent,
// or EOPNOTSUPP from a kernel booted with psi=0). Error when it exists but cannot be parsed.
util::Result<std::optional<double>> read_psi(const std::string& path);

// Host memory from /proc/meminfo plus host PSI (/proc/pressure/memory).
class MeminfoReader final : public MemoryReader {
  public:
    explicit MeminfoReader(std::string root = "/") : m_root(std::move(root)) {}
    // Fresh figures on every call (no caching). source: "meminfo".
    util::Result<MemorySnapshot> read() override;
    std::string describe() const override { return "meminfo"; }

  private:
    std::string m_root;
};

// Memory of a cgroup: available = limit - (usage - inactive file cache), the smallest over
// the cgroup and its ancestors that have a limit, capped by the host's figures (a cgroup
// with no limit anywhere yields the host's figures). PSI: the cgroup's memory.pressure (v2),
// else the host's.
class CgroupMemoryReader final : public MemoryReader {
  public:
    // `host` (normally a MeminfoReader) supplies the cap, the no-limit figures and host PSI.
    CgroupMemoryReader(CgroupLocation location, std::unique_ptr<MemoryReader> host,
                       std::string root = "/");
    // Error when the cgroup's own files are missing or malformed (it was removed, or this
    // is not a memory cgroup), or the host read fails.
    util::Result<MemorySnapshot> read() override;
    std::string describe() const override { return os::describe(m_location); }

  private:
    CgroupLocation m_location;
    std::unique_ptr<MemoryReader> m_host;
    std::string m_root;
};

// Host CPU: busy time (all but idle and iowait) and the online CPUs, from /proc/stat.
class HostCpuReader final : public CpuReader {
  public:
    explicit HostCpuReader(std::string root = "/") : m_root(std::move(root)) {}
    util::Result<CpuSample> read() override;

  private:
    std::string m_root;
};

// The CPU side of a cgroup (host paths, without the root prefix). On v1 the limit and the
// usage live in different hierarchies (cpu: CFS quota; cpuacct: usage), mounted together
// ("cpu,cpuacct") or apart depending on the host.
struct CpuCgroup {
    CgroupVersion version = CgroupVersion::v2;
    std::string limit_folder;  // v1: in the cpu hierarchy; v2: the cgroup
    std::string limit_floor;   // the hierarchy's mount: the walk up for the limit stops there
    std::string usage_folder;  // v1: in the cpuacct hierarchy; v2: the cgroup
};

// A CPU-limited cgroup: usage from cpuacct.usage (v1) or cpu.stat usage_usec (v2); capacity
// the smallest quota/period over the cgroup and its ancestors, capped by the online CPUs.
class CgroupCpuReader final : public CpuReader {
  public:
    CgroupCpuReader(CpuCgroup cgroup, std::string root = "/")
        : m_cgroup(std::move(cgroup)), m_root(std::move(root)) {}
    util::Result<CpuSample> read() override;

  private:
    CpuCgroup m_cgroup;
    std::string m_root;
};

// Where a cgroup's CPU time is counted: v1 cpuacct.usage or v2 cpu.stat in `dir` (rooted).
struct CpuAccounting {
    CgroupVersion version = CgroupVersion::v2;
    std::string dir;
};

// A container's memory through its main process's cgroup (cgroupfs or systemd driver,
// v1 or v2): usage minus inactive file cache, never negative.
class CgroupContainerMemory final : public ContainerMemory {
  public:
    explicit CgroupContainerMemory(std::string root = "/") : m_root(std::move(root)) {}
    // Error (code ESRCH) when the process is gone: an expected race with a container that
    // just exited. Other errors: no memory cgroup found, files unreadable or malformed.
    // The cgroup folder of each pid is found once (its /proc/PID/cgroup and the mount table)
    // and remembered: a container's process never changes cgroup, and on a host sampling
    // 100 containers every poll the lookups cost more than the reads. Not thread-safe.
    util::Result<core::Bytes> usage(int container_pid) override;
    // v1 memory.max_usage_in_bytes, v2 memory.peak (nullopt before Linux 5.19). Unlike
    // usage(), the kernel's high-water mark includes page cache: a need learned from it errs
    // on the safe side.
    util::Result<std::optional<core::Bytes>> peak(int container_pid) override;
    // v1 cpuacct.usage of the process's cpuacct cgroup, else v2 cpu.stat usage_usec.
    util::Result<std::uint64_t> cpu_usage_ns(int container_pid) override;
    // Every process in the memory cgroup's cgroup.procs counts (a JVM forked by a shell
    // entrypoint is not the main process). Reading another user's /proc/PID/fd needs root.
    util::Result<std::vector<std::uint16_t>> listening_ports(int container_pid) override;

  private:
    struct Located {
        std::string dir;  // the memory cgroup (rooted): memory files and cgroup.procs
        CgroupVersion version;
        std::optional<CpuAccounting> cpu;
    };
    util::Result<Located> locate(int container_pid);
    // After a failed read below `dir`: ESRCH when the cgroup is gone (Docker removes it as the
    // container exits; the pid may be reused, so forget it), else `error` itself.
    util::Error read_failed(int container_pid, const std::string& dir, util::Error error);

    std::string m_root;
    std::map<int, Located> m_located;
};

}  // namespace stagehand::os
