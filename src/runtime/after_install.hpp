#pragma once
// after-install (SPEC section 5): pull the images, then start the services one after another
// through the gate; save learned profiles and the report.

#include "runtime/hook.hpp"

namespace stagehand::runtime {

// Host checks of the inputs (an explicit memory_source cgroup folder exists and is one), for
// the dry run and the real run alike: exit 2 before anything is touched.
void preflight_after_install(HookEnv& env);
void plan_after_install(HookEnv& env);
HookOutcome run_after_install(HookEnv& env);

}  // namespace stagehand::runtime
