#pragma once
// The run's one deadline (SPEC section 2): --deadline, else this hook's appspec timeout minus
// 30 s under CodeDeploy (so our own diagnosis is what the agent shows; half the timeout when it
// is under 60 s), else 30 minutes.

#include <optional>
#include <string>

#include "core/model/appspec.hpp"
#include "core/model/types.hpp"

namespace stagehand::core {

// Time kept back from the agent's timeout: the agent kills at its timeout, and our summary
// must be written before that.
constexpr Millis k_agent_margin{30'000};
constexpr Millis k_manual_deadline{30 * 60 * 1000};
constexpr int k_agent_default_timeout_s = 3600;

struct DeadlineChoice {
    Millis budget{0};
    std::string source;  // "appspec.yml AfterInstall timeout 1800s - 30s"
    // Set when LIFECYCLE_EVENT is set but no appspec entry of that event names this executable
    // (the budget then comes from the agent's default timeout, which is likely wrong).
    std::string warning;
};

// `lifecycle_event` is LIFECYCLE_EVENT (empty outside CodeDeploy); `executable` the running
// executable's bundle-relative path (hooks/after-install).
DeadlineChoice choose_deadline(std::optional<Millis> override_budget, const Appspec* appspec,
                               const std::string& lifecycle_event, const std::string& executable);

}  // namespace stagehand::core
