#include <algorithm>
#include <filesystem>

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

// The agent joins `location` to the archive folder as written (CODEDEPLOY.md), so
// "./hooks/x", "hooks//x", "/hooks/x" and "hooks/./x" all run hooks/x: compare the paths
// lexically normalised, relative to the bundle root.
std::string normalise_location(const std::string& location) {
    auto path = std::filesystem::path("/" + location).lexically_normal();
    return path.relative_path().string();
}

const AppspecHook* Appspec::find_hook(const std::string& event,
                                      const std::string& executable_relative) const {
    auto it = hooks.find(event);
    if (it == hooks.end()) {
        return nullptr;
    }
    const std::string wanted = normalise_location(executable_relative);
    for (const auto& hook : it->second) {
        if (normalise_location(hook.location) == wanted) {
            return &hook;
        }
    }
    return nullptr;
}

}  // namespace stagehand::core
