#pragma once
// before-install (SPEC section 6): stage files safely, clear the copy destinations,
// optionally stop the old stack and prune the project's unused images.

#include "runtime/hook.hpp"

namespace stagehand::runtime {

void preflight_before_install(HookEnv& env);
void plan_before_install(HookEnv& env);
HookOutcome run_before_install(HookEnv& env);

}  // namespace stagehand::runtime
