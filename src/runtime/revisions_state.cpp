#include "runtime/revisions_state.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "os/fs/atomic_file.hpp"
#include "os/fs/state_file.hpp"
#include "os/sys/read_file.hpp"
#include "runtime/run_state.hpp"
#include "steps/pull/pin.hpp"
#include "util/sha256.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

util::Result<std::string> file_sha256(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return util::Error{"cannot read " + path.string() + " for the revision fingerprint", EIO};
    }
    util::Sha256 hash;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        hash.update(std::string_view(buffer, static_cast<std::size_t>(in.gcount())));
    }
    return hash.hex_digest();
}

// A full run: --only and --from start part of the stack, so they say nothing about what the
// deployment as a whole ran.
bool whole_stack(const HookEnv& env) {
    return env.options.only.empty() && !env.options.from;
}

nlohmann::json revision_json(const std::string& fingerprint) {
    return {{"fingerprint", fingerprint},
            {"bundle_commit", env_or_empty("BUNDLE_COMMIT")},
            {"bundle_etag", env_or_empty("BUNDLE_ETAG")},
            {"bundle_version", env_or_empty("BUNDLE_VERSION")}};
}

// The newest good deployment of this revision (by fingerprint) on this host, if any: the one
// a rollback pins back to. after-install and its --dry-run ask the same question here.
std::optional<core::RevisionEntry> last_good_run(const HookEnv& env, const std::string& fingerprint,
                                                 os::OnDamage on_damage) {
    const auto record = read_revisions(env.inputs.config.state_dir, env.log, on_damage);
    const auto* found = core::last_good(record, env.inputs.project, fingerprint);
    return found != nullptr ? std::optional<core::RevisionEntry>(*found) : std::nullopt;
}

}  // namespace

std::string revisions_path(const std::string& state_dir) {
    return state_dir + "/revisions.json";
}

core::RevisionsRecord read_revisions(const std::string& state_dir, util::Log& log,
                                     os::OnDamage on_damage) {
    os::PosixFileSystem files;
    auto record = os::read_state_file<core::RevisionsRecord>(files, log, revisions_path(state_dir),
                                                             core::revisions_from_json, on_damage);
    if (!record) {
        log.warn("", record.error().message + "; no rollback pins this run");
        return {};
    }
    return record->value_or(core::RevisionsRecord{});
}

util::Status write_revisions(const std::string& state_dir, const core::RevisionsRecord& record) {
    return os::write_file_atomic(revisions_path(state_dir), core::revisions_to_json(record), 0644);
}

util::Result<std::string> fingerprint_bundle(const std::string& root) {
    std::vector<core::BundleFile> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::path& path = it->path();
        const std::string relative = path.lexically_relative(root).generic_string();
        if (it->is_symlink(ec)) {
            files.push_back(
                {relative, util::sha256_hex("symlink:" + fs::read_symlink(path, ec).string())});
        } else if (it->is_regular_file(ec)) {
            auto sha = file_sha256(path);
            if (!sha) {
                return sha.error();
            }
            files.push_back({relative, *sha});
        }
    }
    if (ec) {
        return util::Error{
            "cannot list the bundle " + root + " for the revision fingerprint: " + ec.message(),
            ec.value()};
    }
    return core::bundle_fingerprint(std::move(files));
}

std::string pin_for_rollback(HookEnv& env, steps::Context& ctx,
                             const std::vector<steps::PullImage>& images, nlohmann::json& report) {
    const auto& config = env.inputs.config;
    auto fingerprint = fingerprint_bundle(env.inputs.bundle.root);
    if (!fingerprint) {
        env.log.warn("", fingerprint.error().message + "; no rollback pins this run");
        return "";
    }
    report["revision"] = revision_json(*fingerprint);
    if (config.pull.pin == core::PinMode::never) {
        return "";
    }
    const auto recorded = last_good_run(env, *fingerprint, os::OnDamage::set_aside);
    if (!recorded) {
        return "";
    }
    report["revision"]["ran_before_in"] = recorded->deployment_id;
    const auto pins = steps::run_pins(images, *recorded, config.pull, ctx);
    report["pins"] = steps::pins_report_json(pins);
    return pins.ok ? "" : pins.failure;
}

nlohmann::ordered_json rollback_plan_json(const HookEnv& env,
                                          const std::vector<steps::PullImage>& images) {
    const auto& config = env.inputs.config;
    nlohmann::ordered_json plan;
    plan["pin"] = config.pull.pin == core::PinMode::never ? "never" : "rollback";
    if (config.pull.pin == core::PinMode::never) {
        return plan;
    }
    auto fingerprint = fingerprint_bundle(env.inputs.bundle.root);
    if (!fingerprint) {
        plan["fingerprint"] = fingerprint.error().message + ": no pins";
        return plan;
    }
    plan["fingerprint"] = *fingerprint;
    const auto recorded = last_good_run(env, *fingerprint, os::OnDamage::leave_in_place);
    if (!recorded) {
        plan["ran_before_in"] = "none: this revision has not succeeded here, nothing to pin";
        return plan;
    }
    plan["ran_before_in"] = recorded->deployment_id + " (" + recorded->time + ", " +
                            core::to_string(recorded->state) + ")";
    nlohmann::ordered_json pins = nlohmann::ordered_json::object();
    for (const auto& wanted : images) {
        const auto found = recorded->services.find(wanted.service);
        if (found == recorded->services.end()) {
            continue;
        }
        const auto& ran = found->second;
        pins[wanted.service] = wanted.image + " -> " + (ran.digest.empty() ? ran.id : ran.digest) +
                               " (what it ran), unless the tag still points there";
    }
    plan["would_pin"] = std::move(pins);
    return plan;
}

void record_success(HookEnv& env, steps::Context& ctx, nlohmann::json& report) {
    const auto& config = env.inputs.config;
    if (!whole_stack(env)) {
        return;
    }
    // The pin step computed it already, unless it could not.
    auto fingerprint =
        report.contains("revision")
            ? util::Result<std::string>(report["revision"]["fingerprint"].get<std::string>())
            : fingerprint_bundle(env.inputs.bundle.root);
    auto images = steps::running_images(env.inputs.project, ctx);
    if (!fingerprint || !images) {
        env.log.warn("", "cannot record the images of this deployment: " +
                             (!fingerprint ? fingerprint.error() : images.error()).message);
        return;
    }
    core::RevisionEntry entry{*fingerprint,
                              env.deployment_id,
                              rfc3339(std::chrono::system_clock::now()),
                              env_or_empty("BUNDLE_COMMIT"),
                              env_or_empty("BUNDLE_ETAG"),
                              env_or_empty("BUNDLE_VERSION"),
                              core::RevisionState::installed,
                              *images};
    report["revision"] = revision_json(*fingerprint);
    for (const auto& [service, image] : *images) {
        report["images"][service] = {
            {"image", image.image}, {"id", image.id}, {"digest", image.digest}};
    }
    auto record = read_revisions(config.state_dir, env.log);
    core::record_revision(record, env.inputs.project, std::move(entry));
    if (auto written = write_revisions(config.state_dir, record); !written) {
        env.log.warn("", "cannot record the images of this deployment: " + written.error().message);
    }
}

void mark_validation(HookEnv& env, bool passed) {
    const auto& state_dir = env.inputs.config.state_dir;
    if (!env.options.only.empty() || !os::path_exists(revisions_path(state_dir))) {
        return;  // a partial validation says nothing about the deployment as a whole
    }
    auto record = read_revisions(state_dir, env.log);
    const auto state = passed ? core::RevisionState::validated : core::RevisionState::failed;
    if (!core::mark_revision(record, env.inputs.project, env.deployment_id, state)) {
        return;  // after-install recorded nothing for it (a partial or manual run)
    }
    if (auto written = write_revisions(state_dir, record); !written) {
        env.log.warn("", "cannot mark this deployment " + std::string(core::to_string(state)) +
                             " in the revisions record: " + written.error().message);
    }
}

}  // namespace stagehand::runtime
