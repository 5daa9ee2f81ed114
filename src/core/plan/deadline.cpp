#include "core/plan/deadline.hpp"

#include <algorithm>

namespace stagehand::core {

namespace {

// "hooks/other, scripts/after-install" (as written in appspec.yml), or "none".
std::string locations_of(const Appspec& appspec, const std::string& event) {
    std::string out;
    if (auto it = appspec.hooks.find(event); it != appspec.hooks.end()) {
        for (const auto& hook : it->second) {
            out += (out.empty() ? "" : ", ") + hook.location;
        }
    }
    return out;
}

std::string unmatched_warning(const Appspec& appspec, const std::string& event,
                              const std::string& executable) {
    const std::string seen = locations_of(appspec, event);
    const std::string what = seen.empty() ? "appspec.yml has no " + event + " entry"
                                          : "no " + event + " entry of appspec.yml names " +
                                                executable + " (locations seen: " + seen + ")";
    return what + ": assuming the agent's default timeout " +
           std::to_string(k_agent_default_timeout_s) +
           "s; the agent will kill this hook at the real timeout without our diagnosis";
}

}  // namespace

DeadlineChoice choose_deadline(std::optional<Millis> override_budget, const Appspec* appspec,
                               const std::string& lifecycle_event, const std::string& executable) {
    if (override_budget) {
        return {*override_budget, "--deadline", ""};
    }
    if (lifecycle_event.empty()) {
        return {k_manual_deadline, "default outside CodeDeploy (no LIFECYCLE_EVENT)", ""};
    }
    int timeout_s = k_agent_default_timeout_s;
    std::string source = "agent default timeout 3600s";
    std::string warning;
    if (appspec != nullptr) {
        if (const auto* hook = appspec->find_hook(lifecycle_event, executable)) {
            timeout_s = hook->timeout_seconds;
            source =
                "appspec.yml " + lifecycle_event + " timeout " + std::to_string(timeout_s) + "s";
        } else {
            warning = unmatched_warning(*appspec, lifecycle_event, executable);
        }
    }
    // A short timeout still leaves us half of it rather than a tiny or negative budget.
    const Millis timeout = std::chrono::seconds(timeout_s);
    if (timeout - k_agent_margin < timeout / 2) {
        return {timeout / 2, source + " / 2: under 60s half is kept back", warning};
    }
    return {timeout - k_agent_margin, source + " - 30s", warning};
}

}  // namespace stagehand::core
