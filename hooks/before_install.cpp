// before-install: stage files safely, clear the folders CodeDeploy will copy into, and
// optionally stop the old stack (SPEC section 6).
#include "runtime/before_install.hpp"
#include "runtime/hook.hpp"

int main(int argc, char** argv) {
    using namespace stagehand::runtime;
    HookDefinition definition{"before-install", HookOptions{}, plan_before_install,
                              run_before_install};
    definition.preflight = preflight_before_install;
    return run_hook(argc, argv, definition);
}
