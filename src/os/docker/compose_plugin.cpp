#include "os/docker/compose_plugin.hpp"

#include <cerrno>
#include <nlohmann/json.hpp>

#include "os/docker/registry_auth.hpp"
#include "os/process/process.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

constexpr const char* k_system_plugin_dirs[] = {
    "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"};

}  // namespace

std::optional<std::vector<std::string>> cli_plugin_dirs(const std::string& config_dir,
                                                        std::string_view config_json) {
    std::vector<std::string> dirs;
    if (!config_dir.empty()) {
        dirs.push_back(config_dir + "/cli-plugins");
    }
    if (!config_json.empty()) {
        const auto config =
            nlohmann::json::parse(config_json.begin(), config_json.end(), nullptr, false);
        if (!config.is_object()) {
            return std::nullopt;
        }
        if (const auto extra = config.find("cliPluginsExtraDirs"); extra != config.end()) {
            if (!extra->is_array()) {
                return std::nullopt;
            }
            for (const auto& dir : *extra) {
                if (!dir.is_string()) {
                    return std::nullopt;
                }
                dirs.push_back(dir.get<std::string>());
            }
        }
    }
    dirs.insert(dirs.end(), std::begin(k_system_plugin_dirs), std::end(k_system_plugin_dirs));
    return dirs;
}

std::optional<std::string> find_compose_plugin(const std::vector<std::string>& dirs) {
    for (const auto& dir : dirs) {
        // A relative folder would depend on the working directory the agent picked.
        if (dir.empty() || dir.front() != '/') {
            continue;
        }
        if (auto found = find_executable(dir + "/docker-compose"); !found.empty()) {
            return found;
        }
    }
    return std::nullopt;
}

std::vector<std::string> docker_cli_plugin_dirs() {
    const std::string config_path = own_docker_config_path();
    const std::string config_dir = config_path.substr(0, config_path.rfind('/'));
    std::string config_json;
    if (auto text = read_text_file(config_path)) {
        config_json = std::move(text).value();
    } else if (text.error().code != ENOENT) {
        return {};
    }
    return cli_plugin_dirs(config_dir, config_json).value_or(std::vector<std::string>{});
}

}  // namespace stagehand::os
