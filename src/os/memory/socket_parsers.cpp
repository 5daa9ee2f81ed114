#include "os/memory/socket_parsers.hpp"

#include <array>
#include <limits>
#include <string>

#include "os/memory/text_scan.hpp"

namespace stagehand::os {

namespace {

using scan::next_field;
using scan::next_line;
using scan::parse_u64;
using scan::quoted;
using scan::trim;

constexpr std::string_view k_listen = "0A";  // TCP_LISTEN in include/net/tcp_states.h

bool is_hex(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// "0100007F:1F90" (IPv4, 8 hex digits) or 32 hex digits (IPv6, v4-mapped included), a colon,
// then the port as 4 hex digits.
std::optional<std::uint16_t> local_port(std::string_view address) {
    const auto colon = address.find(':');
    if (colon == std::string_view::npos || (colon != 8 && colon != 32) ||
        !is_hex(address.substr(0, colon))) {
        return std::nullopt;
    }
    const std::string_view port = address.substr(colon + 1);
    const auto value = port.size() == 4 ? parse_u64(port, 16) : std::nullopt;
    if (!value) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*value);
}

// One row: sl, local, remote, state, tx:rx, tr:when, retrnsmt, uid, timeout, inode, ...
// Returns a listener, nullopt for another state, or an error message.
util::Result<std::optional<TcpListener>> parse_row(std::string_view line) {
    constexpr std::size_t k_fields = 10;
    std::array<std::string_view, k_fields> f{};
    std::size_t count = 0;
    while (count < k_fields && next_field(line, f[count])) {
        ++count;
    }
    if (count < k_fields || f[0].empty() || f[0].back() != ':' ||
        !parse_u64(f[0].substr(0, f[0].size() - 1))) {
        return util::Error{"expected \"SL: LOCAL REMOTE ST ... INODE\""};
    }
    const auto port = local_port(f[1]);
    const auto inode = parse_u64(f[9]);
    if (!port || !local_port(f[2]) || f[3].size() != 2 || !is_hex(f[3]) || !inode) {
        return util::Error{"expected \"SL: LOCAL REMOTE ST ... INODE\""};
    }
    if (f[3] != k_listen) {
        return std::optional<TcpListener>{};
    }
    return std::optional<TcpListener>{TcpListener{*inode, *port}};
}

}  // namespace

// /proc/net/tcp (tcp6 the same, with 32-digit addresses); addresses and ports in hex, the
// address in network byte order per 32-bit word, state 0A = LISTEN:
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//    0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456
//    1 ... 1: 0100007F:A3E2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0
//    23501 1 ...
util::Result<std::vector<TcpListener>> parse_tcp_listeners(std::string_view text) {
    std::vector<TcpListener> listeners;
    std::string_view rest = text;
    std::string_view line;
    for (int number = 1; next_line(rest, line); ++number) {
        const std::string_view row = trim(line);
        if (row.empty() || (number == 1 && row.substr(0, 3) == "sl ")) {
            continue;
        }
        auto parsed = parse_row(row);
        if (!parsed) {
            return util::Error{"line " + std::to_string(number) + ": " + parsed.error().message +
                               ", got " + quoted(row)};
        }
        if (*parsed) {
            listeners.push_back(**parsed);
        }
    }
    return listeners;
}

// readlink(/proc/PID/fd/N):  socket:[23456]   pipe:[8812]   /dev/null   anon_inode:[eventfd]
std::optional<std::uint64_t> parse_socket_link(std::string_view target) {
    constexpr std::string_view k_prefix = "socket:[";
    if (target.size() <= k_prefix.size() + 1 || target.substr(0, k_prefix.size()) != k_prefix ||
        target.back() != ']') {
        return std::nullopt;
    }
    return parse_u64(target.substr(k_prefix.size(), target.size() - k_prefix.size() - 1));
}

// cgroup.procs (the thread-group ids in the cgroup, in no particular order):
//   4242
//   4301
util::Result<std::vector<int>> parse_pid_list(std::string_view text) {
    std::vector<int> pids;
    std::string_view rest = text;
    std::string_view line;
    for (int number = 1; next_line(rest, line); ++number) {
        const std::string_view field = trim(line);
        if (field.empty()) {
            continue;
        }
        const auto pid = parse_u64(field);
        if (!pid || *pid == 0 ||
            *pid > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
            return util::Error{"line " + std::to_string(number) + ": expected a pid, got " +
                               quoted(field)};
        }
        pids.push_back(static_cast<int>(*pid));
    }
    return pids;
}

}  // namespace stagehand::os
