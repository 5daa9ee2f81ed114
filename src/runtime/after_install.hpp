#pragma once
// after-install (SPEC section 5): pull the images, then start the services one after another
// through the gate; save learned profiles and the report.

#include "runtime/hook.hpp"

namespace stagehand::runtime {

void plan_after_install(HookEnv& env);
HookOutcome run_after_install(HookEnv& env);

}  // namespace stagehand::runtime
