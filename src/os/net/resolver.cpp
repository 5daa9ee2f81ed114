#include "os/net/resolver.hpp"

#include <ares.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "os/net/hosts.hpp"
#include "os/sys/read_file.hpp"
#include "os/sys/wait.hpp"

namespace stagehand::os {

namespace {

constexpr std::size_t k_max_hosts_file = 1 << 20;  // a hosts file beyond 1 MiB is not one

// The hosts file's text; a missing, unreadable or oversized file reads as empty (like
// glibc, which also carries on without one).
std::string read_hosts_file(const std::string& path) {
    auto text = read_text_file(path, k_max_hosts_file);
    return text ? std::move(*text) : std::string();
}

void ipv4_first(std::vector<IpAddress>& addresses) {
    std::stable_partition(addresses.begin(), addresses.end(),
                          [](const IpAddress& a) { return a.family == AF_INET; });
}

struct Lookup {
    bool done = false;
    int status = ARES_SUCCESS;
    std::vector<IpAddress> addresses;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto* lookup = static_cast<Lookup*>(arg);
    lookup->done = true;
    lookup->status = status;
    for (auto* node = result != nullptr ? result->nodes : nullptr; node != nullptr;
         node = node->ai_next) {
        IpAddress address;
        address.family = node->ai_family;
        if (node->ai_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
            std::memcpy(address.bytes.data(), &sin->sin_addr, 4);
        } else if (node->ai_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
            std::memcpy(address.bytes.data(), &sin6->sin6_addr, 16);
        } else {
            continue;
        }
        if (std::find(lookup->addresses.begin(), lookup->addresses.end(), address) ==
            lookup->addresses.end()) {
            lookup->addresses.push_back(address);
        }
    }
    if (result != nullptr) {
        ares_freeaddrinfo(result);
    }
}

// Owns a c-ares channel. ares_destroy() completes pending queries (ARES_EDESTRUCTION), so
// the Lookup they point at must outlive this guard.
struct Channel {
    ares_channel channel = nullptr;
    ~Channel() {
        if (channel != nullptr) {
            ares_destroy(channel);
        }
    }
};

// One round of the c-ares event loop: wait on its sockets until its next timeout or our
// deadline, then let it process what happened (with no socket ready, its timeouts).
util::Status pump(ares_channel channel, MonoTime deadline, const Cancel& cancel) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || cancel.fired()) {
        return wait_any({}, deadline, cancel);  // says "timed out" or "cancelled"
    }
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
    const int bits = ares_getsock(channel, socks.data(), ARES_GETSOCK_MAXNUM);
    std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
    std::size_t count = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        events = static_cast<short>(events | (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0));
        events = static_cast<short>(events | (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
        if (events != 0) {
            fds[count++] = pollfd{socks[static_cast<std::size_t>(i)], events, 0};
        }
    }
    timeval max_tv{static_cast<time_t>(left.count() / 1'000'000),
                   static_cast<suseconds_t>(left.count() % 1'000'000)};
    timeval tv{};
    const timeval* next = ares_timeout(channel, &max_tv, &tv);
    const MonoTime until = std::chrono::steady_clock::now() + std::chrono::seconds(next->tv_sec) +
                           std::chrono::microseconds(next->tv_usec);
    auto waited = wait_any(std::span<pollfd>(fds.data(), count), std::min(until, deadline), cancel);
    if (!waited && waited.error().code != ETIMEDOUT) {
        return waited;  // cancelled, or poll failed
    }
    bool any = false;
    for (std::size_t k = 0; waited && k < count; ++k) {
        if (fds[k].revents == 0) {
            continue;
        }
        any = true;
        const bool readable = (fds[k].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool writable = (fds[k].revents & POLLOUT) != 0;
        ares_process_fd(channel, readable ? fds[k].fd : ARES_SOCKET_BAD,
                        writable ? fds[k].fd : ARES_SOCKET_BAD);
    }
    if (!any) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // handles its timeouts
    }
    return {};
}

}  // namespace

util::Result<std::vector<IpAddress>> dns_lookup(const std::string& name,
                                                const std::string& dns_servers, MonoTime deadline,
                                                const Cancel& cancel) {
    const std::string what = "cannot resolve " + name;
    // ares_library_init() only does work on Windows (WinSock); on Linux channels need no
    // process-wide setup, so there is no global state to manage here.
    ares_options options{};
    char lookups[] = "b";  // DNS only: the hosts file has been searched by us already
    options.lookups = lookups;
    Lookup lookup;
    Channel guard;
    int rc = ares_init_options(&guard.channel, &options, ARES_OPT_LOOKUPS);
    if (rc != ARES_SUCCESS) {
        return util::Error{what + ": c-ares: " + ares_strerror(rc)};
    }
    if (!dns_servers.empty()) {
        rc = ares_set_servers_ports_csv(guard.channel, dns_servers.c_str());
        if (rc != ARES_SUCCESS) {
            return util::Error{what + ": bad DNS servers \"" + dns_servers +
                               "\": " + ares_strerror(rc)};
        }
    }
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(guard.channel, name.c_str(), nullptr, &hints, on_addrinfo, &lookup);
    while (!lookup.done) {
        if (auto pumped = pump(guard.channel, deadline, cancel); !pumped) {
            return util::Error{what + ": " + pumped.error().message, pumped.error().code};
        }
    }
    if (lookup.status != ARES_SUCCESS) {
        return util::Error{what + ": " + ares_strerror(lookup.status)};
    }
    if (lookup.addresses.empty()) {
        return util::Error{what + ": no IPv4 or IPv6 address"};
    }
    ipv4_first(lookup.addresses);
    return std::move(lookup.addresses);
}

HostResolver::HostResolver(ResolverOptions options) : m_options(std::move(options)) {}

util::Result<std::vector<IpAddress>> HostResolver::resolve(const std::string& host,
                                                           MonoTime deadline,
                                                           const Cancel& cancel) {
    if (auto literal = parse_ip_literal(host)) {
        return std::vector<IpAddress>{*literal};
    }
    if (host.size() > 253 || !is_plain_token(host)) {
        return util::Error{"cannot resolve \"" + host + "\": not a valid host name"};
    }
    const auto entries = parse_hosts(read_hosts_file(m_options.hosts_path));
    auto found = lookup_hosts(entries, host);
    const std::string lowered = ascii_lower(host);
    // RFC 6761: localhost is always loopback, with or without a hosts file.
    if (found.empty() && (lowered == "localhost" || lowered == "localhost.")) {
        found = {*parse_ip_literal("127.0.0.1"), *parse_ip_literal("::1")};
    }
    if (!found.empty()) {
        ipv4_first(found);
        return found;
    }
    return dns_lookup(host, m_options.dns_servers, deadline, cancel);
}

}  // namespace stagehand::os
