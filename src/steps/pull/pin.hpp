#pragma once
// Pins for rollbacks (SPEC section 9): after the pull, point each reused tag back at the image
// the recorded deployment of this revision ran, so compose starts that image again. And, after
// a successful start, what each service runs, for the record.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/model/config.hpp"
#include "core/revisions/revisions.hpp"
#include "steps/context.hpp"
#include "steps/pull/pull.hpp"

namespace stagehand::steps {

struct PinResult {
    std::string service;
    std::string image;  // the tag
    core::PinAction action = core::PinAction::keep;
    std::string from_digest;  // what the tag pointed at (digest, else id)
    std::string to_digest;    // the recorded image (digest, else id)
    std::string error;        // when the pin failed
};

struct PinOutcome {
    bool ok = true;
    std::vector<PinResult> pins;  // one per service with a recorded image
    std::string failure;          // when !ok: names the service, the tag and the cause
};

// For each service of `images` that `recorded` ran: decides (core::decide_pin) and acts:
// re-tags the recorded image, or pulls it by digest (through ctx.docker, so with the
// registry credentials) and tags it. Logs one line per pinned service naming the tag, both
// digests and the recorded deployment. Stops at the first failure (no service was started).
PinOutcome run_pins(const std::vector<PullImage>& images, const core::RevisionEntry& recorded,
                    const core::PullConfig& config, Context& ctx);

// What each service's container runs now: the reference, the image id and its repo digest.
// Services without a container are left out. Error: Docker could not be asked.
util::Result<std::map<std::string, core::ServiceImage>> running_images(const std::string& project,
                                                                       Context& ctx);

// [{"service":..,"image":..,"action":"retag","from":..,"to":..,"error":""}]
nlohmann::json pins_report_json(const PinOutcome& outcome);

}  // namespace stagehand::steps
