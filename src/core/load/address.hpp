#pragma once
// Probe targets (SPEC section 4): "HOST:PORT" and "http://HOST[:PORT]/path". HOST is a
// compose service name or hostname, an IPv4 literal, or an IPv6 literal in brackets.
// Pure text checks: nothing is resolved here.

#include <string_view>

#include "core/model/probe.hpp"
#include "util/result.hpp"

namespace stagehand::core {

// "kafka:9092", "10.0.0.5:80", "[::1]:8080" (host stored without brackets). When the text
// has no port, `default_port` is used, or it is an error when `default_port` is 0.
util::Result<HostPort> parse_host_port(std::string_view text, int default_port);

// "http://gateway-service:8000/actuator/health?x=1": http only (no https, no user info);
// port default 80; path_and_query "/" when empty; a #fragment is dropped.
util::Result<HttpTarget> parse_http_url(std::string_view url);

}  // namespace stagehand::core
