#pragma once
// The compose v2 plugin that `docker compose` runs, found the way the docker CLI finds it.
// Compose v2 also runs standalone, so stagehand can run that program directly: one program
// per call instead of three (the CLI, the plugin asked for its metadata, the plugin).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagehand::os {

// The folders the docker CLI searches for its plugins, in its order (docker/cli,
// cli-plugins/manager): `config_dir`/cli-plugins, the cliPluginsExtraDirs of `config_json`
// (the text of config_dir/config.json, "" when there is none), then the system folders.
// nullopt when `config_json` is not a JSON object: which plugin the CLI would run is then not
// ours to guess.
std::optional<std::vector<std::string>> cli_plugin_dirs(const std::string& config_dir,
                                                        std::string_view config_json);

// The first executable regular file named docker-compose in `dirs`: the one the CLI runs.
std::optional<std::string> find_compose_plugin(const std::vector<std::string>& dirs);

// cli_plugin_dirs for this process's user: $DOCKER_CONFIG, else ~/.docker (empty when its
// config.json is unreadable or not JSON).
std::vector<std::string> docker_cli_plugin_dirs();

}  // namespace stagehand::os
