#pragma once
// The revisions record in state_dir (SPEC section 9) as the hooks use it: read (a damaged
// record is moved aside, never fatal), written atomically, the bundle's fingerprint, and the
// three moments that touch it: after-install pins before the start and records after a
// successful one, validate-service marks the deployment validated or failed.

#include <string>
#include <vector>

#include "core/revisions/revisions.hpp"
#include "runtime/hook.hpp"
#include "steps/context.hpp"
#include "steps/pull/pull.hpp"
#include "util/log.hpp"
#include "util/result.hpp"

namespace stagehand::runtime {

// <state_dir>/revisions.json
std::string revisions_path(const std::string& state_dir);

// The record; empty when absent. A record that does not parse is renamed to
// revisions.json.damaged (replacing an older one) with a warning, and an empty record is
// returned: losing the pins is better than failing every deployment from now on.
core::RevisionsRecord read_revisions(const std::string& state_dir, util::Log& log);
util::Status write_revisions(const std::string& state_dir, const core::RevisionsRecord& record);

// core::bundle_fingerprint over every file under `root` (recursively; symlinks by their
// target, not followed). Error: a file could not be read (names it).
util::Result<std::string> fingerprint_bundle(const std::string& root);

// after-install, after the pull and before any start: with pull.pin rollback and a good
// record of this revision, points reused tags back at what it ran. Writes "revision" and
// "pins" into `report`. Returns the failure ("" when fine): then no service may be started.
std::string pin_for_rollback(HookEnv& env, steps::Context& ctx,
                             const std::vector<steps::PullImage>& images, nlohmann::json& report);

// after-install, after a successful start of every service: records what each runs.
// Writes "revision" and "images" into `report`. A failure to record is a warning.
void record_success(HookEnv& env, steps::Context& ctx, nlohmann::json& report);

// validate-service: marks this deployment's entry validated (passed) or failed.
void mark_validation(HookEnv& env, bool passed);

}  // namespace stagehand::runtime
