#include "core/load/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace stagehand::core {
namespace {

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// A hostname or compose service name: dot-separated labels of letters, digits, '-', '_'.
util::Status check_name(std::string_view host) {
    if (host.size() > 253) {
        return util::Error{"host name is longer than 253 characters"};
    }
    std::size_t start = 0;
    while (start <= host.size()) {
        std::size_t end = std::min(host.find('.', start), host.size());
        std::size_t length = end - start;
        if (length == 0 || length > 63) {
            return util::Error{"invalid host name " + quoted(host)};
        }
        start = end + 1;
    }
    return {};
}

util::Status check_host(std::string_view host, bool bracketed) {
    std::string copy(host);
    if (bracketed) {
        in6_addr address{};
        if (inet_pton(AF_INET6, copy.c_str(), &address) != 1) {
            return util::Error{"invalid IPv6 address " + quoted(host)};
        }
        return {};
    }
    if (host.empty()) {
        return util::Error{"missing host"};
    }
    if (!std::all_of(host.begin(), host.end(), is_host_char)) {
        return util::Error{"invalid host " + quoted(host) +
                           " (letters, digits, '-', '_' and '.'; IPv6 goes in brackets)"};
    }
    bool numeric = std::all_of(host.begin(), host.end(),
                               [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (numeric) {
        in_addr address{};
        if (inet_pton(AF_INET, copy.c_str(), &address) != 1) {
            return util::Error{"invalid IPv4 address " + quoted(host)};
        }
        return {};
    }
    return check_name(host);
}

util::Result<int> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return util::Error{"invalid port " + quoted(text) + " (expected 1-65535)"};
    }
    int port = std::stoi(std::string(text));
    if (port < 1 || port > 65535) {
        return util::Error{"invalid port " + quoted(text) + " (expected 1-65535)"};
    }
    return port;
}

// parse_host_port without the "expected ..." prefix: the error is only the reason.
util::Result<HostPort> split_host_port(std::string_view text, int default_port) {
    std::string_view host;
    std::string_view rest;  // ":PORT" or ""
    bool bracketed = !text.empty() && text.front() == '[';
    if (bracketed) {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return util::Error{"missing ']'"};
        }
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
    } else {
        std::size_t colon = text.find(':');
        if (colon != std::string_view::npos &&
            text.find(':', colon + 1) != std::string_view::npos) {
            return util::Error{"write an IPv6 address in brackets"};
        }
        host = text.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    }
    if (auto status = check_host(host, bracketed); !status) {
        return status.error();
    }
    HostPort out{std::string(host), default_port};
    if (rest.empty()) {
        if (default_port == 0) {
            return util::Error{"missing port"};
        }
        return out;
    }
    if (rest.front() != ':') {
        return util::Error{"unexpected text after ']'"};
    }
    auto port = parse_port(rest.substr(1));
    if (!port) {
        return port.error();
    }
    out.port = *port;
    return out;
}

}  // namespace

util::Result<HostPort> parse_host_port(std::string_view text, int default_port) {
    auto parsed = split_host_port(text, default_port);
    if (!parsed) {
        return util::Error{"expected HOST:PORT like kafka:9092 or [::1]:8080, got " + quoted(text) +
                           ": " + parsed.error().message};
    }
    return parsed;
}

util::Result<HttpTarget> parse_http_url(std::string_view url) {
    const std::string example =
        "expected an http:// URL like http://gateway:8000/health, got " + quoted(url);
    std::string scheme(url.substr(0, std::min<std::size_t>(url.find(':'), url.size())));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "https") {
        return util::Error{example +
                           ": https is not supported (probes speak plain http "
                           "inside the host's Docker network)"};
    }
    if (scheme != "http" || url.substr(scheme.size(), 3) != "://") {
        return util::Error{example};
    }
    std::string_view rest = url.substr(scheme.size() + 3);
    std::size_t end = std::min(rest.find_first_of("/?#"), rest.size());
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) {
        return util::Error{example + ": user info (user@) is not supported"};
    }
    auto host_port = split_host_port(authority, 80);
    if (!host_port) {
        return util::Error{example + ": " + host_port.error().message};
    }
    std::string_view path = rest.substr(end);
    path = path.substr(0, std::min(path.find('#'), path.size()));
    if (std::any_of(path.begin(), path.end(),
                    [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
        return util::Error{example +
                           ": spaces and control characters in the path must be "
                           "percent-encoded"};
    }
    std::string path_and_query(path);
    if (path_and_query.empty() || path_and_query.front() == '?') {
        path_and_query.insert(0, "/");
    }
    return HttpTarget{std::string(url), *host_port, path_and_query};
}

}  // namespace stagehand::core
