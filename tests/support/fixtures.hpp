#pragma once
// The captured inputs under tests/fixtures (from real hosts: /proc, cgroup, Docker's JSON,
// /etc files), read the one way every suite reads them.

#include <string>

namespace stagehand::testing {

// The bytes of tests/fixtures/<relative> ("proc/meminfo/al2023.txt"); a test failure naming
// the file, and "", when it cannot be read.
std::string fixture(const std::string& relative);

}  // namespace stagehand::testing
