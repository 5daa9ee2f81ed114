#pragma once
// /etc/hosts, read by stagehand itself (no NSS in a static binary).

#include <string>
#include <string_view>
#include <vector>

#include "os/net/address.hpp"

namespace stagehand::os {

struct HostsEntry {
    IpAddress address;
    std::vector<std::string> names;  // canonical name first, then aliases, as written
};

// Parses hosts(5) text. Sample:
//   127.0.0.1   localhost
//   ::1         localhost ip6-localhost   # comment
//   10.0.0.5    db.internal db
// Lines whose first field is not an IPv4/IPv6 literal, or that have no name, are skipped;
// '#' starts a comment anywhere; fields split on blanks; CR (from CRLF files) is a blank.
std::vector<HostsEntry> parse_hosts(std::string_view text);

// Addresses listed for `name` (compared case-insensitively), in file order, without
// duplicates.
std::vector<IpAddress> lookup_hosts(const std::vector<HostsEntry>& entries, std::string_view name);

}  // namespace stagehand::os
