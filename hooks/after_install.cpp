// after-install: pull images, then start the compose services one after another, each start
// gated on readiness and free memory (SPEC section 5).
#include "runtime/after_install.hpp"
#include "runtime/boot.hpp"
#include "runtime/hook.hpp"

int main(int argc, char** argv) {
    using namespace stagehand::runtime;
    HookDefinition definition{"after-install",
                              HookOptions{.only = true, .from = true, .svg = true, .boot = true},
                              plan_after_install, run_after_install};
    definition.preflight = preflight_after_install;
    definition.boot_mode = run_boot_mode;
    return run_hook(argc, argv, definition);
}
