#pragma once
// IP addresses as stagehand handles them: IPv4 and IPv6 only, parsed with inet_pton (never
// getaddrinfo: a static glibc cannot safely load the host's NSS modules).

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stagehand::os {

struct IpAddress {
    int family = AF_INET;                  // AF_INET or AF_INET6
    std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4 bytes

    // "10.0.0.5", "::1" (no brackets).
    std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// An IPv4 or IPv6 literal ("10.0.0.5", "::1", "[::1]"); nullopt for anything else, including
// names, zone ids ("fe80::1%eth0") and IPv4 shorthands inet_aton would take ("10.1").
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// "10.0.0.5:9092", "[::1]:8080": how addresses appear in our messages.
std::string format_endpoint(const IpAddress& address, int port);

// `text` with A-Z lowered and every other byte kept (host and header names are ASCII
// case-insensitive; no locale, no NSS).
std::string ascii_lower(std::string_view text);

// True when `text` is non-empty and has no space, control character or DEL: what a host
// name or a request target may hold, so a config value cannot inject into a request.
bool is_plain_token(std::string_view text);

// The socket address for connect(); `length` receives its size.
sockaddr_storage to_sockaddr(const IpAddress& address, int port, socklen_t& length);

}  // namespace stagehand::os
