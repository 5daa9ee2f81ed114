#pragma once
// after-install's boot modes (SPEC section 11): --boot starts every recorded stack through the
// gate (what the boot unit's ExecStart runs), --boot-stop stops them in reverse start order
// (its ExecStop), --install-boot-unit installs and enables the unit. Each has its own log file
// (log_dir/boot-<UTC time>.log) and --boot its own report (reports/boot-<time>-<project>.json),
// never confused with a deployment's.

#include "runtime/cli.hpp"

namespace stagehand::runtime {

// Runs the mode `options.boot` names; returns the exit status (SPEC section 2's codes). A host
// with nothing recorded (no deployment succeeded yet) is not a failure: exit 0.
int run_boot_mode(const Options& options, const std::string& program);

}  // namespace stagehand::runtime
