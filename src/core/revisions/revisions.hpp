#pragma once
// The revisions record, <state_dir>/revisions.json (SPEC section 9): per compose project, the
// images each successful deployment ran, keyed by the revision's fingerprint, so a rollback
// (a new deployment of an earlier revision) can run the images that ran then, even when the
// tags its compose file names were pushed again since. Pure: no I/O here.
//
// {"version": 1, "projects": {"shop": [
//   {"fingerprint": "3f2a...", "deployment_id": "d-ABC", "time": "2026-12-06T08:00:00Z",
//    "bundle_commit": "", "bundle_etag": "", "bundle_version": "", "state": "validated",
//    "services": {"api": {"image": "reg/shop/api:0.1", "id": "sha256:...",
//                         "digest": "sha256:..."}}}]}}   (entries oldest first)

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/config.hpp"
#include "util/result.hpp"

namespace stagehand::core {

struct ServiceImage {
    std::string image;   // the reference the compose file names ("reg/app:0.1")
    std::string id;      // the image id the container ran ("sha256:...")
    std::string digest;  // its repo digest ("sha256:..."; "" for an image never pushed)

    bool operator==(const ServiceImage&) const = default;
};

// installed: after-install succeeded; validated: validate-service passed afterwards;
// failed: validate-service failed (CodeDeploy then rolls back): never pinned to, never kept.
enum class RevisionState { installed, validated, failed };

struct RevisionEntry {
    std::string fingerprint;  // bundle_fingerprint() of the revision
    std::string deployment_id;
    std::string time;  // RFC 3339 UTC
    std::string bundle_commit;
    std::string bundle_etag;
    std::string bundle_version;
    RevisionState state = RevisionState::installed;
    std::map<std::string, ServiceImage> services;

    bool good() const { return state != RevisionState::failed; }
};

struct RevisionsRecord {
    std::map<std::string, std::vector<RevisionEntry>> projects;  // entries oldest first
};

// Entries kept per project (the oldest dropped first): enough for any sensible pull.keep.
inline constexpr std::size_t k_revisions_max = 20;

std::string revisions_to_json(const RevisionsRecord& record);
// Error (code EINVAL) when the text is not a revisions record; an empty text is empty.
util::Result<RevisionsRecord> revisions_from_json(std::string_view text);

// One file of the bundle for the fingerprint: its bundle-relative path and the SHA-256 hex
// of its content (for a symlink: of "symlink:" + its target, not followed).
struct BundleFile {
    std::string path;
    std::string sha256;
};

// SHA-256 hex over the files sorted by path: "<path>\0<sha256>\n" each. A path holds no NUL,
// so no two different bundles give the same input. The order the files come in is irrelevant.
std::string bundle_fingerprint(std::vector<BundleFile> files);

// Adds `entry` as the project's newest (replacing an entry of the same deployment id: a hook
// run again by hand), keeping at most k_revisions_max entries.
void record_revision(RevisionsRecord& record, const std::string& project, RevisionEntry entry);
// Sets the state of the project's entry of `deployment_id`; false when there is none.
bool mark_revision(RevisionsRecord& record, const std::string& project,
                   std::string_view deployment_id, RevisionState state);
// The newest good entry of the project with this fingerprint, or null.
const RevisionEntry* last_good(const RevisionsRecord& record, const std::string& project,
                               std::string_view fingerprint);
// The image ids of the project's newest `keep` good deployments (pull.keep).
std::vector<std::string> kept_image_ids(const RevisionsRecord& record, const std::string& project,
                                        int keep);

const char* to_string(RevisionState state);

// --- the pin decision (pure) ---

// What after-install knows about one service after the pull, next to what the recorded
// deployment ran.
struct PinFacts {
    std::string service;
    std::string image;            // the reference this run's compose file names
    std::string current_id;       // what that reference points at now ("" when absent)
    ServiceImage recorded;        // what the recorded deployment ran
    bool recorded_local = false;  // the recorded image id is present locally
};

enum class PinAction {
    keep,            // nothing to do: the tag still points at the recorded image, or pin: never
    retag,           // tag the recorded (local) image as `image` again
    pull_by_digest,  // pull repo@digest, then tag it as `image`
    impossible,      // the recorded image is gone and cannot be pulled (no digest / never)
};

struct PinDecision {
    PinAction action = PinAction::keep;
    std::string reason;  // for keep and impossible: why
};

// `may_pull` is false under pull.policy never (no registry traffic wanted).
PinDecision decide_pin(const PinFacts& facts, PinMode mode, bool may_pull);

const char* to_string(PinAction action);

}  // namespace stagehand::core
