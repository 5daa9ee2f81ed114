#pragma once
// `after-install --install-boot-unit` (SPEC section 11): installs and enables the boot unit for
// hosts that run the revision-carried executables, and says what it did.

#include "runtime/cli.hpp"
#include "runtime/logger.hpp"

namespace stagehand::runtime {

// Copies this executable where no deployment removes it, writes and enables the unit (with the
// bundle's state_dir unless --state-dir names one) and starts it when systemd runs. Returns the
// exit status; --dry-run says what it would do and changes nothing.
int run_install_boot_unit(const Options& options, Logger& log);

}  // namespace stagehand::runtime
