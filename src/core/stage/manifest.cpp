#include "core/stage/manifest.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/load/units.hpp"
#include "core/stage/safety.hpp"

namespace stagehand::core {
namespace {

using Json = nlohmann::json;

Json file_to_json(const ManifestFile& f) {
    return Json{{"path", f.path},   {"sha256", f.sha256}, {"mode", format_mode(f.mode)},
                {"owner", f.owner}, {"group", f.group},   {"uid", f.uid},
                {"gid", f.gid},     {"size", f.size}};
}

// Throws nlohmann::json::exception on a wrong type; the caller turns that into an Error.
ManifestFile file_from_json(const Json& j) {
    ManifestFile f;
    f.path = j.at("path").get<std::string>();
    f.sha256 = j.at("sha256").get<std::string>();
    const auto mode = parse_mode(j.at("mode").get<std::string>());
    if (!mode) {
        throw std::invalid_argument("file " + f.path + ": " + mode.error().message);
    }
    f.mode = *mode;
    f.owner = j.value("owner", "");
    f.group = j.value("group", "");
    f.uid = j.value("uid", 0U);
    f.gid = j.value("gid", 0U);
    f.size = j.value("size", std::int64_t{0});
    return f;
}

std::vector<std::string> strings_of(const Json& j, const char* key) {
    const auto it = j.find(key);
    return it == j.end() ? std::vector<std::string>{} : it->get<std::vector<std::string>>();
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& items) {
    for (const auto& item : items) {
        to.erase(std::remove(to.begin(), to.end(), item), to.end());
        to.push_back(item);  // most recent last
    }
}

}  // namespace

bool ProjectManifest::same_content(const ProjectManifest& o) const {
    return deployment_id == o.deployment_id && files == o.files && images == o.images &&
           previous_images == o.previous_images && image_history == o.image_history;
}

std::string manifest_to_json(const StagingManifest& manifest) {
    Json projects = Json::object();
    for (const auto& [name, p] : manifest.projects) {
        Json files = Json::array();
        for (const auto& f : p.files) {
            files.push_back(file_to_json(f));
        }
        projects[name] = Json{{"deployment_id", p.deployment_id},
                              {"time", p.time},
                              {"files", files},
                              {"images", p.images},
                              {"previous_images", p.previous_images},
                              {"image_history", p.image_history}};
    }
    // A destination path may be any bytes Linux allows: U+FFFD rather than a throwing dump.
    return Json{{"version", 1}, {"projects", projects}}.dump(2, ' ', false,
                                                             Json::error_handler_t::replace) +
           "\n";
}

util::Result<StagingManifest> manifest_from_json(std::string_view text) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return StagingManifest{};
    }
    try {
        const Json j = Json::parse(text);
        StagingManifest m;
        for (const auto& [name, p] : j.at("projects").items()) {
            ProjectManifest pm;
            pm.deployment_id = p.value("deployment_id", "");
            pm.time = p.value("time", "");
            for (const auto& f : p.value("files", Json::array())) {
                pm.files.push_back(file_from_json(f));
            }
            pm.images = strings_of(p, "images");
            pm.previous_images = strings_of(p, "previous_images");
            pm.image_history = strings_of(p, "image_history");
            m.projects[name] = std::move(pm);
        }
        return m;
    } catch (const nlohmann::json::parse_error& e) {
        // Not e.what(): it quotes the bytes it stopped at, binary junk included.
        return util::Error{"not valid JSON (byte " + std::to_string(e.byte) + ")", EINVAL};
    } catch (const std::exception& e) {
        // "[json.exception.type_error.302] type must be string, but is number": the part
        // after the bracket is what a reader can use.
        std::string why = e.what();
        if (why.rfind("[json.exception.", 0) == 0 && why.find("] ") != std::string::npos) {
            why = why.substr(why.find("] ") + 2);
        }
        return util::Error{"not a staging manifest: " + why, EINVAL};
    }
}

ProjectManifest next_project_manifest(const ProjectManifest* previous, std::string deployment_id,
                                      std::string time, std::vector<ManifestFile> files,
                                      std::vector<std::string> images) {
    ProjectManifest next;
    next.deployment_id = std::move(deployment_id);
    next.time = std::move(time);
    next.files = std::move(files);
    next.images = std::move(images);
    if (previous != nullptr) {
        next.previous_images = previous->deployment_id == next.deployment_id
                                   ? previous->previous_images
                                   : previous->images;
        next.image_history = previous->image_history;
    }
    append_unique(next.image_history, next.images);
    if (next.image_history.size() > k_image_history_max) {
        next.image_history.erase(
            next.image_history.begin(),
            next.image_history.end() - static_cast<std::ptrdiff_t>(k_image_history_max));
    }
    return next;
}

}  // namespace stagehand::core
