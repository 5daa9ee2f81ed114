// validate-service: prove every service is up and stays up, or fail with a diagnosis that
// fits the agent's 2 KB tail so CodeDeploy rolls back (SPEC section 7).
#include "runtime/validate_service.hpp"
#include "runtime/hook.hpp"

int main(int argc, char** argv) {
    using namespace stagehand::runtime;
    const HookDefinition definition{"validate-service", HookOptions{.only = true},
                                    plan_validate_service, run_validate_service};
    return run_hook(argc, argv, definition);
}
