#include "os/net/hosts.hpp"

#include <algorithm>

namespace stagehand::os {

namespace {

bool is_blank(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) {
            ++i;
        }
        if (i > start) {
            fields.push_back(line.substr(start, i - start));
        }
    }
    return fields;
}

bool equal_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

}  // namespace

std::vector<HostsEntry> parse_hosts(std::string_view text) {
    std::vector<HostsEntry> entries;
    while (!text.empty()) {
        const std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        line = line.substr(0, line.find('#'));
        const auto fields = split_fields(line);
        if (fields.size() < 2) {
            continue;
        }
        // parse_ip_literal also takes "[::1]"; hosts(5) does not, so refuse brackets here.
        if (fields[0].front() == '[') {
            continue;
        }
        const auto address = parse_ip_literal(fields[0]);
        if (!address) {
            continue;
        }
        HostsEntry entry{*address, {}};
        for (std::size_t k = 1; k < fields.size(); ++k) {
            entry.names.emplace_back(fields[k]);
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<IpAddress> lookup_hosts(const std::vector<HostsEntry>& entries, std::string_view name) {
    std::vector<IpAddress> found;
    for (const auto& entry : entries) {
        const bool match =
            std::any_of(entry.names.begin(), entry.names.end(),
                        [&](const std::string& n) { return equal_ignore_case(n, name); });
        if (match && std::find(found.begin(), found.end(), entry.address) == found.end()) {
            found.push_back(entry.address);
        }
    }
    return found;
}

}  // namespace stagehand::os
