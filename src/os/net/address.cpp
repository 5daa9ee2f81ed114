#include "os/net/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace stagehand::os {

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (::inet_ntop(family, bytes.data(), text, sizeof text) == nullptr) {
        return "?";
    }
    return text;
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        text = text.substr(1, text.size() - 2);
    }
    // inet_pton wants a NUL-terminated string; longer input cannot be an address.
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string copy(text);
    IpAddress address;
    if (copy.find(':') == std::string::npos) {
        address.family = AF_INET;
    } else {
        address.family = AF_INET6;
    }
    if (::inet_pton(address.family, copy.c_str(), address.bytes.data()) != 1) {
        return std::nullopt;
    }
    return address;
}

std::string format_endpoint(const IpAddress& address, int port) {
    if (address.family == AF_INET6) {
        return "[" + address.to_string() + "]:" + std::to_string(port);
    }
    return address.to_string() + ":" + std::to_string(port);
}

sockaddr_storage to_sockaddr(const IpAddress& address, int port, socklen_t& length) {
    sockaddr_storage storage{};
    if (address.family == AF_INET6) {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&sin6.sin6_addr, address.bytes.data(), sizeof sin6.sin6_addr);
        std::memcpy(&storage, &sin6, sizeof sin6);
        length = sizeof sin6;
    } else {
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(static_cast<std::uint16_t>(port));
        std::memcpy(&sin.sin_addr, address.bytes.data(), sizeof sin.sin_addr);
        std::memcpy(&storage, &sin, sizeof sin);
        length = sizeof sin;
    }
    return storage;
}

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& ch : out) {
        if (ch >= 'A' && ch <= 'Z') {
            ch = static_cast<char>(ch - 'A' + 'a');
        }
    }
    return out;
}

bool is_plain_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) {
        return static_cast<unsigned char>(ch) > 0x20 && ch != 0x7F;
    });
}

}  // namespace stagehand::os
