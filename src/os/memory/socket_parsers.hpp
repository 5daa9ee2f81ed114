#pragma once
// Pure parsers for what tells a container's listening TCP ports: /proc/PID/net/tcp and tcp6,
// the socket links in /proc/PID/fd, and a cgroup's cgroup.procs. They take the text and never
// touch the file system. Tested on fixtures captured from real hosts (tests/fixtures/net).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace stagehand::os {

struct TcpListener {
    std::uint64_t inode = 0;  // the socket's inode: what /proc/PID/fd links name
    std::uint16_t port = 0;   // local port
};

// The LISTEN sockets (state 0A) of a /proc/net/tcp or tcp6 table, in table order; other
// states are skipped. Error naming the line on a row that is not in the kernel's format.
util::Result<std::vector<TcpListener>> parse_tcp_listeners(std::string_view text);

// The inode of a /proc/PID/fd link target "socket:[12345]"; nullopt for anything else
// (files, pipes, anon inodes).
std::optional<std::uint64_t> parse_socket_link(std::string_view target);

// The pids of cgroup.procs, one a line. Error naming the line on anything but a positive pid.
util::Result<std::vector<int>> parse_pid_list(std::string_view text);

}  // namespace stagehand::os
