#pragma once
// Basic value types shared by the whole core: durations, byte sizes, source positions.

#include <chrono>
#include <cstdint>
#include <string>

namespace stagehand::core {

using Millis = std::chrono::milliseconds;
using Bytes = std::int64_t;

constexpr Bytes k_kib = 1024;
constexpr Bytes k_mib = 1024 * k_kib;
constexpr Bytes k_gib = 1024 * k_mib;

// Where a value came from, for error messages ("stagehand.yml:12:5"). Lines and columns are
// 1-based; line 0 means "no position" (a default, or a value from the command line).
struct SourceMark {
    std::string file;
    int line = 0;
    int column = 0;
};

// A memory amount that is either absolute or a percentage of total memory ("10%").
struct MemoryAmount {
    Bytes bytes = 0;
    double percent = 0.0;  // used when is_percent
    bool is_percent = false;

    // Bytes this amount stands for on a host (or cgroup) with `total` bytes.
    Bytes resolve(Bytes total) const {
        return is_percent ? static_cast<Bytes>(static_cast<double>(total) * percent / 100.0)
                          : bytes;
    }
};

}  // namespace stagehand::core
