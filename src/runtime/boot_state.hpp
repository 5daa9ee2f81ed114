#pragma once
// The boot record in state_dir (SPEC section 11) as the hooks use it: after-install records
// what a boot needs after every successful whole-stack start; the boot modes read it.

#include <optional>
#include <string>

#include "core/boot/boot_record.hpp"
#include "os/fs/state_file.hpp"
#include "runtime/hook.hpp"
#include "steps/start/start_record.hpp"
#include "util/log.hpp"

namespace stagehand::runtime {

// <state_dir>/boot.json, and the folder holding a project's copies of its compose file
// (compose.yml) and stagehand.yml: <state_dir>/boot/<project as a file name>/.
std::string boot_record_path(const std::string& state_dir);
std::string boot_copies_dir(const std::string& state_dir, const std::string& project);

// The record; nullopt when absent or damaged (set aside with a warning, or only warned about
// with leave_in_place). Error: it exists but cannot be read.
util::Result<std::optional<core::BootRecord>> read_boot_record(
    const std::string& state_dir, util::Log& log, os::OnDamage on_damage = os::OnDamage::set_aside);

// after-install, after a successful start of the whole stack (not --only / --from): copies
// the compose file and stagehand.yml, then records the project's entry (every file written
// atomically, the copies first, so the record never names copies that are not there).
// A failure is a warning: the deployment itself succeeded.
void record_boot(HookEnv& env, const steps::StartResult& result);

// Warns (one line per service) about restart policies that defeat a gated boot.
void warn_boot_policies(const core::ComposeFile& compose, util::Log& log);

}  // namespace stagehand::runtime
