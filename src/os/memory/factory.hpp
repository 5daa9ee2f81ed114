#pragma once
// Choosing where available memory comes from (stagehand.yml startup.memory_source) and
// building the reader for it. Includes readers.hpp (MeminfoReader, CgroupMemoryReader,
// CgroupContainerMemory).

#include <memory>
#include <optional>
#include <string>

#include "core/model/config.hpp"
#include "os/memory/readers.hpp"

namespace stagehand::os {

struct MemorySourceChoice {
    std::optional<CgroupLocation> cgroup;  // nullopt: the host's /proc/meminfo
    std::string reason;  // one line for --dry-run and the log: what was chosen and why
};

// memory_source auto: stagehand's own memory cgroup (from /proc/self/cgroup, v1 or v2) when
// it or an ancestor has a limit below the host's MemTotal, else meminfo.
// meminfo: meminfo. cgroup:<folder>: that folder, after checking it exists and holds the
// memory files of a v1 or v2 cgroup; the error names the folder and what is missing.
// Paths are read under `root` (tests pass a fixture tree).
util::Result<MemorySourceChoice> detect_memory_source(const core::MemorySource& source,
                                                      const std::string& root = "/");

// The reader for a choice already made (log choice.reason, then build from the same decision).
std::unique_ptr<MemoryReader> make_memory_reader(const MemorySourceChoice& choice,
                                                 const std::string& root = "/");

// The reader for detect_memory_source's choice: a MeminfoReader, or a CgroupMemoryReader
// capped by a MeminfoReader. Errors as detect_memory_source.
util::Result<std::unique_ptr<MemoryReader>> make_memory_reader(const core::MemorySource& source,
                                                               const std::string& root = "/");

// The CPU figures that go with a memory source: the cgroup's CPU controller (v1 cpu,cpuacct;
// v2 cpu.max + cpu.stat) of the same cgroup path when the memory source is a cgroup that has
// a CPU limit (itself or an ancestor), else the host's /proc/stat.
std::unique_ptr<CpuReader> make_cpu_reader(const MemorySourceChoice& choice,
                                           const std::string& root = "/");

}  // namespace stagehand::os
