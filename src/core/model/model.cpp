#include <algorithm>

#include "core/model/appspec.hpp"
#include "core/model/compose.hpp"
#include "core/model/probe.hpp"

namespace stagehand::core {

const char* to_string(ProbeKind kind) {
    switch (kind) {
        case ProbeKind::http:
            return "http";
        case ProbeKind::tcp:
            return "tcp";
        case ProbeKind::healthy:
            return "healthy";
        case ProbeKind::running:
            return "running";
        case ProbeKind::log:
            return "log";
        case ProbeKind::command:
            return "command";
    }
    return "?";
}

std::string describe(const Probe& probe) {
    switch (probe.kind) {
        case ProbeKind::http:
            return "http " + probe.http.url;
        case ProbeKind::tcp:
            return "tcp " + probe.tcp.host + ":" + std::to_string(probe.tcp.port);
        case ProbeKind::healthy:
            return "healthy";
        case ProbeKind::running:
            return "running";
        case ProbeKind::log:
            return "log /" + probe.log_regex + "/";
        case ProbeKind::command: {
            std::string out = "command";
            for (const auto& arg : probe.argv) {
                out += " " + arg;
            }
            return out;
        }
    }
    return "?";
}

const ComposeService* ComposeFile::find(const std::string& service) const {
    auto it = std::find_if(services.begin(), services.end(),
                           [&](const ComposeService& s) { return s.name == service; });
    return it == services.end() ? nullptr : &*it;
}

const AppspecHook* Appspec::find_hook(const std::string& event,
                                      const std::string& executable_relative) const {
    auto it = hooks.find(event);
    if (it == hooks.end()) {
        return nullptr;
    }
    auto strip = [](std::string s) {
        while (!s.empty() && s.front() == '/') {
            s.erase(0, 1);
        }
        return s;
    };
    for (const auto& hook : it->second) {
        if (strip(hook.location) == strip(executable_relative)) {
            return &hook;
        }
    }
    return nullptr;
}

}  // namespace stagehand::core
