#pragma once
// before-install's staging (SPEC section 6), in order: validate everything (nothing changed
// on any problem: exit 2), stop this project's running containers in reverse start order,
// empty the clean folders, install each file atomically with a backup of the version it
// replaces, record the staging manifest, then optionally prune this project's unused images.
// A failure while installing puts back every file this run already replaced, so the
// destinations hold either all the old or all the new content; each single file is never
// a mix of both, whatever happens (atomic rename).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/model/config.hpp"
#include "core/model/diagnostic.hpp"
#include "core/stage/plan.hpp"
#include "os/fs/filesystem.hpp"
#include "steps/context.hpp"
#include "util/result.hpp"

namespace stagehand::steps {

class Installer;

struct StageInputs {
    core::StageConfig stage;
    std::string state_dir = "/var/lib/stagehand";
    std::string log_dir;      // protected like state_dir (a clean folder may not hold it)
    std::string config_path;  // the stagehand.yml in use; "" when none
    std::string bundle_dir;   // the bundle root
    std::string project;      // compose project name
    std::vector<std::string> start_order;     // every compose service, in start order
    std::vector<std::string> images;          // image references the compose file names
    std::vector<std::string> keep_image_ids;  // ids the last pull.keep good deployments ran
    std::string deployment_id;                // DEPLOYMENT_ID or "manual-<timestamp>"
    int stop_timeout_seconds = 30;            // graceful stop per service (compose stop -t)
    // The host, injectable for tests.
    std::string etc_dir = "/etc";  // passwd and group are read here (no NSS)
    std::string mountinfo_path = "/proc/self/mountinfo";
    bool as_root = false;   // geteuid() == 0: enables the writable-by-others rule
    std::uint32_t uid = 0;  // owner of new files when none is configured (geteuid())
    std::uint32_t gid = 0;  // getegid()
};

struct StageValidation {
    std::vector<core::Diagnostic> problems;  // every problem found; any means exit 2
    core::StagePlan plan;                    // complete when problems is empty
    bool ok() const { return problems.empty(); }
};

enum class OpStatus { done, skipped, failed };

// One operation of the run, for the summary.
struct StageOp {
    std::string kind;    // stop, clean, install, backup, rollback, manifest, rotate, prune
    std::string target;  // service, folder, file or image
    OpStatus status = OpStatus::done;
    std::string detail;  // "unchanged", "created", the error, ...
    std::chrono::milliseconds took{0};
};

struct StageOutcome {
    // Error codes: ETIMEDOUT (deadline passed), ECANCELED (SIGINT/SIGTERM; see
    // Context::cancel.reason()), anything else: the step failed (exit 1). The message names
    // the file, folder or service.
    util::Status status;
    std::vector<StageOp> ops;
    bool rolled_back = false;  // installed files were put back after a failure
};

class StageStep {
  public:
    // `ctx.docker` and `ctx.compose` are needed only with stop or prune_images.
    StageStep(Context& ctx, os::FileSystem& fs, StageInputs inputs);

    // Step 1: checks every input and builds the plan, changing nothing. Problems come back as
    // Diagnostics naming the config entry and the rule; an Error means the host could not be
    // examined (e.g. /proc/self/mountinfo unreadable: exit 1).
    util::Result<StageValidation> validate();

    // The plan as one line per operation, for --dry-run.
    std::vector<std::string> describe_plan(const core::StagePlan& plan) const;

    // Steps 2 to 5 and the prune, following a plan from validate().
    StageOutcome run(const core::StagePlan& plan);

  private:
    util::Status check_time() const;
    util::Status stop_containers(const core::StagePlan& plan, StageOutcome& out);
    util::Status clean_folders(const core::StagePlan& plan, StageOutcome& out);
    util::Status install_files(const core::StagePlan& plan, Installer& installer,
                               StageOutcome& out);
    util::Status update_manifest(const core::StagePlan& plan, StageOutcome& out);
    void roll_back(Installer& installer, StageOutcome& out);
    void tidy_temp_files(const core::StagePlan& plan, const Installer& installer,
                         StageOutcome& out);
    void prune_images(const core::StagePlan& plan, StageOutcome& out);
    void add_op(StageOutcome& out, StageOp op, std::chrono::steady_clock::time_point began);

    Context& m_ctx;
    os::FileSystem& m_fs;
    StageInputs m_in;
    std::vector<std::string> m_keep_images;     // filled by the manifest update
    std::vector<std::string> m_history_images;  // for prune
};

}  // namespace stagehand::steps
