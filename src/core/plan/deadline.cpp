#include "core/plan/deadline.hpp"

#include <algorithm>

namespace stagehand::core {

DeadlineChoice choose_deadline(std::optional<Millis> override_budget, const Appspec* appspec,
                               const std::string& lifecycle_event, const std::string& executable) {
    if (override_budget) {
        return {*override_budget, "--deadline"};
    }
    if (lifecycle_event.empty()) {
        return {k_manual_deadline, "default outside CodeDeploy (no LIFECYCLE_EVENT)"};
    }
    int timeout_s = k_agent_default_timeout_s;
    std::string source = "agent default timeout 3600s";
    if (appspec != nullptr) {
        if (const auto* hook = appspec->find_hook(lifecycle_event, executable)) {
            timeout_s = hook->timeout_seconds;
            source =
                "appspec.yml " + lifecycle_event + " timeout " + std::to_string(timeout_s) + "s";
        }
    }
    // A tiny timeout still leaves us a little time rather than a negative budget.
    const Millis budget = std::max(Millis(std::chrono::seconds(timeout_s)) - k_agent_margin,
                                   Millis(std::chrono::seconds(timeout_s)) / 2);
    return {budget, source + " - 30s"};
}

}  // namespace stagehand::core
