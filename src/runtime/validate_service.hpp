#pragma once
// validate-service (SPEC section 7): every check concurrently, each holding for `stable`.

#include "runtime/hook.hpp"

namespace stagehand::runtime {

void plan_validate_service(HookEnv& env);
HookOutcome run_validate_service(HookEnv& env);

}  // namespace stagehand::runtime
