#include "core/revisions/revisions.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "util/sha256.hpp"

namespace stagehand::core {
namespace {

using Json = nlohmann::json;

constexpr const char* k_states[] = {"installed", "validated", "failed"};

RevisionState state_from(const std::string& text) {
    for (int i = 0; i < 3; ++i) {
        if (text == k_states[i]) {
            return static_cast<RevisionState>(i);
        }
    }
    throw std::invalid_argument("unknown state \"" + text + "\"");
}

// Throws nlohmann::json::exception on a wrong type; the caller turns that into an Error.
RevisionEntry entry_from(const Json& json) {
    RevisionEntry entry;
    entry.fingerprint = json.at("fingerprint").get<std::string>();
    entry.deployment_id = json.at("deployment_id").get<std::string>();
    entry.time = json.value("time", "");
    entry.bundle_commit = json.value("bundle_commit", "");
    entry.bundle_etag = json.value("bundle_etag", "");
    entry.bundle_version = json.value("bundle_version", "");
    entry.state = state_from(json.at("state").get<std::string>());
    for (const auto& [name, image] : json.at("services").items()) {
        entry.services[name] =
            ServiceImage{image.at("image").get<std::string>(), image.at("id").get<std::string>(),
                         image.value("digest", "")};
    }
    return entry;
}

Json entry_json(const RevisionEntry& entry) {
    Json services = Json::object();
    for (const auto& [name, image] : entry.services) {
        services[name] = {{"image", image.image}, {"id", image.id}, {"digest", image.digest}};
    }
    return {{"fingerprint", entry.fingerprint},
            {"deployment_id", entry.deployment_id},
            {"time", entry.time},
            {"bundle_commit", entry.bundle_commit},
            {"bundle_etag", entry.bundle_etag},
            {"bundle_version", entry.bundle_version},
            {"state", to_string(entry.state)},
            {"services", services}};
}

}  // namespace

std::string revisions_to_json(const RevisionsRecord& record) {
    Json projects = Json::object();
    for (const auto& [project, entries] : record.projects) {
        Json list = Json::array();
        for (const auto& entry : entries) {
            list.push_back(entry_json(entry));
        }
        projects[project] = list;
    }
    return Json{{"version", 1}, {"projects", projects}}.dump(1) + "\n";
}

util::Result<RevisionsRecord> revisions_from_json(std::string_view text) {
    RevisionsRecord record;
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return record;
    }
    const Json json = Json::parse(text.begin(), text.end(), nullptr, false);
    if (!json.is_object() || json.value("version", 0) != 1 || !json.contains("projects") ||
        !json["projects"].is_object()) {
        return util::Error{"not a revisions record (version 1)", EINVAL};
    }
    try {
        for (const auto& [project, entries] : json["projects"].items()) {
            for (const auto& entry : entries) {
                record.projects[project].push_back(entry_from(entry));
            }
        }
    } catch (const std::exception& e) {
        return util::Error{std::string("not a revisions record: ") + e.what(), EINVAL};
    }
    return record;
}

std::string bundle_fingerprint(std::vector<BundleFile> files) {
    std::sort(files.begin(), files.end(),
              [](const BundleFile& a, const BundleFile& b) { return a.path < b.path; });
    util::Sha256 hash;
    for (const auto& file : files) {
        hash.update(file.path);
        hash.update(std::string_view("\0", 1));
        hash.update(file.sha256);
        hash.update("\n");
    }
    return hash.hex_digest();
}

void record_revision(RevisionsRecord& record, const std::string& project, RevisionEntry entry) {
    auto& entries = record.projects[project];
    std::erase_if(entries,
                  [&](const RevisionEntry& e) { return e.deployment_id == entry.deployment_id; });
    entries.push_back(std::move(entry));
    if (entries.size() > k_revisions_max) {
        entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(
                                                             entries.size() - k_revisions_max));
    }
}

bool mark_revision(RevisionsRecord& record, const std::string& project,
                   std::string_view deployment_id, RevisionState state) {
    const auto it = record.projects.find(project);
    if (it == record.projects.end()) {
        return false;
    }
    for (auto& entry : it->second) {
        if (entry.deployment_id == deployment_id) {
            entry.state = state;
            return true;
        }
    }
    return false;
}

const RevisionEntry* last_good(const RevisionsRecord& record, const std::string& project,
                               std::string_view fingerprint) {
    const auto it = record.projects.find(project);
    if (it == record.projects.end()) {
        return nullptr;
    }
    for (auto entry = it->second.rbegin(); entry != it->second.rend(); ++entry) {
        if (entry->good() && entry->fingerprint == fingerprint) {
            return &*entry;
        }
    }
    return nullptr;
}

std::vector<std::string> kept_image_ids(const RevisionsRecord& record, const std::string& project,
                                        int keep) {
    std::vector<std::string> ids;
    const auto it = record.projects.find(project);
    if (it == record.projects.end()) {
        return ids;
    }
    int counted = 0;
    for (auto entry = it->second.rbegin(); entry != it->second.rend() && counted < keep; ++entry) {
        if (!entry->good()) {
            continue;
        }
        ++counted;
        for (const auto& [service, image] : entry->services) {
            if (!image.id.empty() && std::find(ids.begin(), ids.end(), image.id) == ids.end()) {
                ids.push_back(image.id);
            }
        }
    }
    return ids;
}

const char* to_string(RevisionState state) {
    return k_states[static_cast<int>(state)];
}

PinDecision decide_pin(const PinFacts& facts, PinMode mode, bool may_pull) {
    if (mode == PinMode::never) {
        return {PinAction::keep, "pull.pin is never"};
    }
    if (facts.recorded.id.empty()) {
        return {PinAction::keep, "no image recorded for this service"};
    }
    if (facts.recorded.image != facts.image) {
        // Same revision, other reference: an interpolated variable changed it. The operator
        // chose another image on purpose; pinning would undo that.
        return {PinAction::keep, "the recorded deployment ran " + facts.recorded.image +
                                     ", this one names " + facts.image};
    }
    if (facts.current_id == facts.recorded.id) {
        return {PinAction::keep, "the tag still points at the recorded image"};
    }
    if (facts.recorded_local) {
        return {PinAction::retag, ""};
    }
    if (facts.recorded.digest.empty()) {
        return {PinAction::impossible,
                "the recorded image " + facts.recorded.id +
                    " is no longer present and has no repo digest to pull it by"};
    }
    if (!may_pull) {
        return {PinAction::impossible, "the recorded image " + facts.recorded.id +
                                           " is no longer present and pull.policy is never"};
    }
    return {PinAction::pull_by_digest, ""};
}

const char* to_string(PinAction action) {
    switch (action) {
        case PinAction::keep:
            return "keep";
        case PinAction::retag:
            return "retag";
        case PinAction::pull_by_digest:
            return "pull_by_digest";
        case PinAction::impossible:
            return "impossible";
    }
    return "keep";
}

}  // namespace stagehand::core
