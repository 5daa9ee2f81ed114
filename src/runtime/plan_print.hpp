#pragma once
// --dry-run output: the plan, readable (text) or as one JSON document (--log-format json).
// It prints the same gate conditions the wait messages use.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plan/plan.hpp"
#include "runtime/hook.hpp"

namespace stagehand::runtime {

// Header lines shared by every hook's plan: bundle, project, compose file, deadline.
nlohmann::ordered_json plan_header(const HookEnv& env, const std::string& hook);

nlohmann::ordered_json start_plan_json(const core::StartPlan& plan, const core::PullConfig& pull);

// Prints `json` as text lines (text format) or as one JSON object line.
void print_plan(const HookEnv& env, const nlohmann::ordered_json& json);

}  // namespace stagehand::runtime
