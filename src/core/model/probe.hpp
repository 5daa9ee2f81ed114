#pragma once
// A readiness or validation probe (SPEC section 4): exactly one kind per probe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model/types.hpp"

namespace stagehand::core {

enum class ProbeKind { http, tcp, healthy, running, log, command };

const char* to_string(ProbeKind kind);

// host:port split; host may be a compose service name, "localhost", an IPv4 literal or an
// IPv6 literal (stored without brackets).
struct HostPort {
    std::string host;
    int port = 0;
};

struct HttpTarget {
    std::string url;  // as written
    HostPort host_port;
    std::string path_and_query;  // "/actuator/health"; "/" when empty
};

struct Probe {
    ProbeKind kind = ProbeKind::running;
    HttpTarget http;                                 // kind == http
    std::vector<std::pair<int, int>> status_ranges;  // http: inclusive ranges; default 200-399
    std::string body;                                // http: substring the body must contain
    HostPort tcp;                                    // kind == tcp
    std::string log_regex;                           // kind == log (ECMAScript syntax)
    std::vector<std::string> argv;                   // kind == command (no shell)
    Millis timeout{2000};                            // per attempt
    SourceMark mark;
};

// One line a human reads: "http http://gateway-service:8000/actuator/health (200)".
std::string describe(const Probe& probe);

}  // namespace stagehand::core
