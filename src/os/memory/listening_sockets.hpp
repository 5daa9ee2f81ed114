#pragma once
// Internal to src/os/memory: which TCP ports a set of processes listens on, read from /proc
// (SPEC section 5, "Inferred readiness": read from the kernel, never probed).

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace stagehand::os {

// The local ports of the LISTEN sockets (IPv4 and IPv6) held by any of `pids`: the socket
// inodes of each pid's /proc/PID/fd links, looked up in /proc/PID/net/tcp and tcp6 of one pid
// per network namespace (/proc/PID/ns/net). A container on the host network sees the host's
// whole table there: only the inode match attributes a socket to the container. Sorted,
// unique. A pid that exits meanwhile is skipped; error ESRCH when every one is gone; other
// errors (permission: reading another user's fds needs root) name the path. Paths under `root`.
util::Result<std::vector<std::uint16_t>> read_listening_ports(const std::string& root,
                                                              const std::vector<int>& pids);

}  // namespace stagehand::os
