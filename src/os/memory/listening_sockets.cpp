#include "os/memory/listening_sockets.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

#include "os/memory/readers.hpp"
#include "os/memory/socket_parsers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

namespace fs = std::filesystem;

// /proc/net/tcp of a host network namespace with thousands of connections is larger than the
// 1 MiB read_text_file allows by default (about 150 bytes a socket).
constexpr std::size_t k_table_limit = std::size_t{64} << 20;

bool vanished(int code) {
    return code == ENOENT || code == ESRCH;
}

struct ProcessSockets {
    std::set<std::uint64_t> inodes;  // from socket:[INODE] links
    std::string net_namespace;       // "net:[4026531992]"
};

// The socket inodes and network namespace of one process; nullopt when it has exited.
util::Result<std::optional<ProcessSockets>> sockets_of(const std::string& proc_dir) {
    std::error_code ec;
    ProcessSockets found;
    const fs::path ns = fs::read_symlink(proc_dir + "/ns/net", ec);
    if (ec) {
        return vanished(ec.value())
                   ? util::Result<std::optional<ProcessSockets>>(std::nullopt)
                   : util::errno_error("failed to read " + proc_dir + "/ns/net", ec.value());
    }
    found.net_namespace = ns.string();
    fs::directory_iterator fds(proc_dir + "/fd", ec);
    if (ec) {
        return vanished(ec.value())
                   ? util::Result<std::optional<ProcessSockets>>(std::nullopt)
                   : util::errno_error("failed to list " + proc_dir + "/fd", ec.value());
    }
    for (; fds != fs::directory_iterator(); fds.increment(ec)) {
        // An fd closed between the listing and readlink fails with ENOENT: skip it.
        const fs::path target = fs::read_symlink(fds->path(), ec);
        if (const auto inode = ec ? std::nullopt : parse_socket_link(target.native())) {
            found.inodes.insert(*inode);
        }
    }
    return std::optional<ProcessSockets>(std::move(found));
}

// One namespace's LISTEN sockets, read through `proc_dir`; nullopt when the process exited.
util::Result<std::optional<std::vector<TcpListener>>> listeners_in(const std::string& proc_dir) {
    std::vector<TcpListener> all;
    for (const char* table : {"/net/tcp", "/net/tcp6"}) {
        const std::string path = proc_dir + table;
        auto text = read_text_file(path, k_table_limit);
        if (!text && vanished(text.error().code) && std::string_view(table) == "/net/tcp6") {
            continue;  // a kernel without IPv6 has no tcp6 (tcp was just read)
        }
        if (!text) {
            if (vanished(text.error().code)) {
                return std::optional<std::vector<TcpListener>>{};
            }
            return text.error();
        }
        auto listeners = parse_tcp_listeners(*text);
        if (!listeners) {
            return util::Error{path + ": " + listeners.error().message};
        }
        all.insert(all.end(), listeners->begin(), listeners->end());
    }
    return std::optional<std::vector<TcpListener>>(std::move(all));
}

}  // namespace

util::Result<std::vector<std::uint16_t>> read_listening_ports(const std::string& root,
                                                              const std::vector<int>& pids) {
    std::set<std::uint64_t> inodes;
    std::map<std::string, std::vector<std::string>> namespaces;  // namespace -> proc dirs
    for (const int pid : pids) {
        const std::string proc_dir = join_root(root, "/proc/" + std::to_string(pid));
        auto sockets = sockets_of(proc_dir);
        if (!sockets) {
            return sockets.error();
        }
        if (*sockets) {
            inodes.insert((*sockets)->inodes.begin(), (*sockets)->inodes.end());
            namespaces[(*sockets)->net_namespace].push_back(proc_dir);
        }
    }
    if (namespaces.empty()) {
        return util::Error{"no process of the container is left", ESRCH};
    }
    std::set<std::uint16_t> ports;
    for (const auto& [name, proc_dirs] : namespaces) {
        // Any process of the namespace shows its table; try the next if one exits meanwhile.
        for (const std::string& proc_dir : proc_dirs) {
            auto listeners = listeners_in(proc_dir);
            if (!listeners) {
                return listeners.error();
            }
            if (!*listeners) {
                continue;
            }
            for (const TcpListener& listener : **listeners) {
                if (inodes.count(listener.inode) != 0) {
                    ports.insert(listener.port);
                }
            }
            break;
        }
    }
    return std::vector<std::uint16_t>(ports.begin(), ports.end());
}

}  // namespace stagehand::os
