#pragma once
// The pull step (SPEC section 3 `pull`, section 5): make every image the start sequence needs
// present locally, before any service is touched. Only pulls; the caller runs it before the
// start sequence and stops when it fails.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/config.hpp"
#include "steps/context.hpp"

namespace stagehand::steps {

// One service's image, as the compose file names it.
struct PullImage {
    std::string service;
    std::string image;
};

enum class PullStatus {
    pulled,   // pulled from the registry in this run
    present,  // already present locally (policy missing / never), not pulled
    failed,   // could not be pulled (or, policy never, is not present)
    skipped,  // not attempted: another image failed first, or the run was cancelled
};

// What happened to one image (images are deduplicated across services).
struct ImagePull {
    std::string image;
    std::vector<std::string> services;  // services using it, in input order
    PullStatus status = PullStatus::skipped;
    double seconds = 0;  // wall time spent on it: every attempt and backoff wait
    std::string digest;  // repo digest "sha256:..." ("" when the image has none)
    int attempts = 0;    // pull requests made
    std::string error;   // the last error, verbatim from Docker / the registry
};

struct PullOutcome {
    bool ok = false;
    std::vector<ImagePull> images;  // in order of first appearance
    std::string failure;  // when !ok: one line naming the image, its service(s) and the cause
};

// Runs the pull step with ctx.docker (required; a null docker fails the step).
//  - never:   every image must be present locally; the failure names each one missing.
//  - missing: pulls only the absent ones.
//  - always:  pulls every image.
// Up to config.parallel pulls at once (threads). Each image gets config.retries retries
// after its first attempt, waiting pull_backoff(n) between them, unless the error is final
// (manifest unknown, not found, unauthorized, denied, invalid reference); all its attempts
// share one timeout (config.timeout) within ctx.deadline. After the first failure no new pull
// starts (those in flight finish). Honours ctx.cancel. Logs "pulling IMAGE" and
// "pulled IMAGE in 1.2s, digest sha256:..." per image.
PullOutcome run_pull(const std::vector<PullImage>& images, const core::PullConfig& config,
                     Context& ctx);

// The wait before retry number `retry` (0-based): 1 s, 2 s, 4 s, ... capped at 30 s.
std::chrono::milliseconds pull_backoff(int retry);

// True when retrying cannot help (the registry said the image does not exist or we may not
// have it).
bool pull_error_is_final(const util::Error& error);

const char* to_string(PullStatus status);

// The pull part of the deployment report:
// {"ok":true,"failure":"","images":[{"image":..,"services":[..],"status":"pulled",
//   "seconds":1.2,"digest":"sha256:..","attempts":1,"error":""}]}
nlohmann::json pull_report_json(const PullOutcome& outcome);

}  // namespace stagehand::steps
