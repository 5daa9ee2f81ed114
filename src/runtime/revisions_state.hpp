#pragma once
// The revisions record in state_dir (SPEC section 9) as the hooks use it: read (a damaged
// record is moved aside, never fatal), written atomically, the bundle's fingerprint, and the
// three moments that touch it: after-install pins before the start and records after a
// successful one, validate-service marks the deployment validated or failed.

#include <string>
#include <vector>

#include "core/revisions/revisions.hpp"
#include "os/fs/state_file.hpp"
#include "runtime/hook.hpp"
#include "steps/context.hpp"
#include "steps/pull/pull.hpp"
#include "util/log.hpp"
#include "util/result.hpp"

namespace stagehand::runtime {

// <state_dir>/revisions.json
std::string revisions_path(const std::string& state_dir);

// The record; empty when absent or unreadable (with a warning). A record that does not parse
// is a damaged state file (os::read_state_file: set aside as revisions.json.damaged, or with
// --dry-run left in place) and reads as empty: losing the pins is better than failing every
// deployment from now on.
core::RevisionsRecord read_revisions(const std::string& state_dir, util::Log& log,
                                     os::OnDamage on_damage = os::OnDamage::set_aside);
util::Status write_revisions(const std::string& state_dir, const core::RevisionsRecord& record);

// core::bundle_fingerprint over every file under `root` (recursively; symlinks by their
// target, not followed). Error: a file could not be read (names it).
util::Result<std::string> fingerprint_bundle(const std::string& root);

// after-install, after the pull and before any start: with pull.pin rollback and a good
// record of this revision, points reused tags back at what it ran. Writes "revision" and
// "pins" into `report`. Returns the failure ("" when fine): then no service may be started.
std::string pin_for_rollback(HookEnv& env, steps::Context& ctx,
                             const std::vector<steps::PullImage>& images, nlohmann::json& report);

// after-install --dry-run: what pin_for_rollback would do, from the record alone (no Docker:
// whether a tag already points at the recorded image is known only then), under "rollback":
// the pin mode, this revision's fingerprint, the deployment that ran it here before and, per
// service, the image its tag would be pointed back at. A damaged record is left in place.
nlohmann::ordered_json rollback_plan_json(const HookEnv& env,
                                          const std::vector<steps::PullImage>& images);

// after-install, after a successful start of every service: records what each runs.
// Writes "revision" and "images" into `report`. A failure to record is a warning.
void record_success(HookEnv& env, steps::Context& ctx, nlohmann::json& report);

// validate-service: marks this deployment's entry validated (passed) or failed.
void mark_validation(HookEnv& env, bool passed);

}  // namespace stagehand::runtime
