#include "core/load/compose_ports.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

namespace stagehand::core::load {

namespace {

constexpr int k_widest_range = 16;

std::optional<int> port_number(std::string_view text) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > 65535) {
        return std::nullopt;
    }
    return value;
}

bool is_tcp(std::string_view protocol) {
    std::string lower(protocol);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower == "tcp";
}

}  // namespace

std::vector<std::uint16_t> parse_container_ports(std::string_view spec) {
    if (const auto slash = spec.find('/'); slash != std::string_view::npos) {
        if (!is_tcp(spec.substr(slash + 1))) {
            return {};
        }
        spec = spec.substr(0, slash);
    }
    // The container side is always last: after the host IP (maybe a bracketed IPv6 address
    // full of ':') and the host port.
    if (const auto colon = spec.rfind(':'); colon != std::string_view::npos) {
        spec = spec.substr(colon + 1);
    }
    std::string_view first = spec;
    std::string_view last = spec;
    if (const auto dash = spec.find('-'); dash != std::string_view::npos) {
        first = spec.substr(0, dash);
        last = spec.substr(dash + 1);
    }
    const auto low = port_number(first);
    const auto high = port_number(last);
    if (!low || !high || *high < *low || *high - *low >= k_widest_range) {
        return {};
    }
    std::vector<std::uint16_t> ports;
    for (int port = *low; port <= *high; ++port) {
        ports.push_back(static_cast<std::uint16_t>(port));
    }
    return ports;
}

namespace {

void add_entry(const yaml::Field& item, std::vector<std::uint16_t>& ports) {
    const auto& node = item.node();
    std::vector<std::uint16_t> found;
    if (node.IsScalar()) {
        found = parse_container_ports(node.Scalar());
    } else if (node.IsMap() && node["target"] && node["target"].IsScalar()) {
        // Long syntax: {target: 80, published: 8080, protocol: tcp}.
        const auto protocol = node["protocol"];
        if (!protocol || (protocol.IsScalar() && is_tcp(protocol.Scalar()))) {
            found = parse_container_ports(node["target"].Scalar());
        }
    }
    ports.insert(ports.end(), found.begin(), found.end());
}

}  // namespace

std::vector<std::uint16_t> read_container_ports(const yaml::MapReader& service) {
    std::vector<std::uint16_t> ports;
    for (const char* key : {"expose", "ports"}) {
        auto field = service.get(key);
        if (!field || !field->node().IsSequence()) {
            continue;
        }
        for (const auto& item : field->list()) {
            add_entry(item, ports);
        }
    }
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
}

}  // namespace stagehand::core::load
