#pragma once
// codedeploy-sim's command line: `hook` (one script) and `deploy` (a whole deployment).

#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/deployment.hpp"
#include "sim/hook_runner.hpp"
#include "util/result.hpp"

namespace stagehand::agent {

struct HookCommand {
    HookSpec spec;  // env is filled from vars + env_extras by parse_command_line
    DeploymentVars vars;
    std::vector<std::string> env_extras;
    std::optional<std::filesystem::path> scripts_log;
    bool print_output = false;
};

struct DeployCommand {
    DeployOptions options;
};

struct HelpCommand {};

using Command = std::variant<HookCommand, DeployCommand, HelpCommand>;

// Parses argv[1..]. Error: a usage error, message ready for stderr.
util::Result<Command> parse_command_line(const std::vector<std::string>& args);

// The --help text.
std::string usage_text();

}  // namespace stagehand::agent
