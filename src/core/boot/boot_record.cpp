#include "core/boot/boot_record.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

namespace stagehand::core {
namespace {

using Json = nlohmann::json;

constexpr int k_version = 1;

// Throws nlohmann::json::exception on a wrong type; the caller turns that into an Error.
BootEntry entry_from(const Json& json) {
    BootEntry entry;
    entry.deployment_id = json.at("deployment_id").get<std::string>();
    entry.time = json.value("time", "");
    entry.bundle = json.value("bundle", "");
    entry.compose_file = json.at("compose_file").get<std::string>();
    entry.config_file = json.value("config_file", "");
    entry.start_order = json.at("start_order").get<std::vector<std::string>>();
    return entry;
}

}  // namespace

std::string boot_record_to_json(const BootRecord& record) {
    Json projects = Json::object();
    for (const auto& [name, entry] : record.projects) {
        projects[name] = {{"deployment_id", entry.deployment_id},
                          {"time", entry.time},
                          {"bundle", entry.bundle},
                          {"compose_file", entry.compose_file},
                          {"config_file", entry.config_file},
                          {"start_order", entry.start_order}};
    }
    const Json json = {{"version", k_version}, {"projects", projects}};
    return json.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

util::Result<BootRecord> boot_record_from_json(std::string_view text) {
    BootRecord record;
    try {
        const Json json = Json::parse(text);
        if (!json.is_object() || json.value("version", 0) != k_version) {
            return util::Error{"not a version 1 boot record", EINVAL};
        }
        for (const auto& [name, entry] : json.at("projects").items()) {
            if (name.empty()) {
                return util::Error{"a project with an empty name", EINVAL};
            }
            record.projects[name] = entry_from(entry);
        }
    } catch (const Json::exception& error) {
        return util::Error{std::string("not a boot record: ") + error.what(), EINVAL};
    }
    return record;
}

std::vector<std::string> boot_order(const BootRecord& record) {
    std::vector<std::string> names;
    for (const auto& [name, entry] : record.projects) {
        names.push_back(name);
    }
    // RFC 3339 UTC times sort as text; equal times keep the name order (stable).
    std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) {
        return record.projects.at(a).time < record.projects.at(b).time;
    });
    return names;
}

std::vector<PolicyWarning> boot_policy_warnings(const ComposeFile& compose) {
    std::vector<PolicyWarning> warnings;
    for (const auto& service : compose.services) {
        const std::string policy = service.restart.value_or("no");
        const std::string head = "restart: " + policy + " defeats a gated boot: ";
        const std::string instead =
            "; use restart: \"no\" and let the boot unit (after-install --boot) start it";
        if (policy == "always") {
            warnings.push_back(
                {service.name, head +
                                   "Docker starts it by itself at every boot, even after the boot "
                                   "unit stopped it, all at once with the others and before the "
                                   "gate" +
                                   instead});
        } else if (policy == "unless-stopped" || policy.rfind("on-failure", 0) == 0) {
            warnings.push_back(
                {service.name, head +
                                   "after a power cut Docker starts it by itself at boot, all at "
                                   "once and before the gate (only a clean shutdown, where the "
                                   "boot unit stops it, keeps it down)" +
                                   instead});
        }
    }
    return warnings;
}

}  // namespace stagehand::core
