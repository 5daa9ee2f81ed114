#include "sim/cli.hpp"

#include <algorithm>
#include <climits>
#include <set>
#include <span>

namespace stagehand::agent {

namespace {

using util::Error;
using util::Status;

template <class T>
struct Option {
    const char* name;
    bool takes_value;
    Status (*apply)(T& target, const std::string& value);
};

util::Result<int> positive(const std::string& option, const std::string& value) {
    std::size_t used = 0;
    long long number = 0;
    try {
        number = std::stoll(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != value.size() || number <= 0 || number > INT_MAX) {
        return Error{option + ": expected a positive whole number of seconds, got \"" + value +
                     "\""};
    }
    return static_cast<int>(number);
}

util::Result<AgentVersion> agent_version(const std::string& value) {
    if (value == "v1" || value == "v2") {
        return value == "v1" ? AgentVersion::v1 : AgentVersion::v2;
    }
    return Error{"--agent: expected v1 or v2, got \"" + value + "\""};
}

Status env_assignment(const std::string& value) {
    const auto eq = value.find('=');
    if (eq == 0 || eq == std::string::npos) {
        return Error{"--env: expected KEY=VALUE, got \"" + value + "\""};
    }
    return {};
}

template <class T, class V>
Status assign(util::Result<V> parsed, T& slot) {
    if (!parsed) {
        return parsed.error();
    }
    slot = *parsed;
    return {};
}

const Option<HookCommand> k_hook_options[] = {
    {"--script", true,
     [](HookCommand& c, const std::string& v) {
         c.spec.script = v;
         return Status{};
     }},
    {"--location", true,
     [](HookCommand& c, const std::string& v) {
         c.spec.location = v;
         return Status{};
     }},
    {"--event", true,
     [](HookCommand& c, const std::string& v) {
         c.vars.lifecycle_event = v;
         return Status{};
     }},
    {"--timeout", true,
     [](HookCommand& c, const std::string& v) {
         return assign(positive("--timeout", v), c.spec.timeout_s);
     }},
    {"--deployment-id", true,
     [](HookCommand& c, const std::string& v) {
         c.vars.deployment_id = v;
         return Status{};
     }},
    {"--application", true,
     [](HookCommand& c, const std::string& v) {
         c.vars.application_name = v;
         return Status{};
     }},
    {"--group", true,
     [](HookCommand& c, const std::string& v) {
         c.vars.deployment_group_name = v;
         return Status{};
     }},
    {"--group-id", true,
     [](HookCommand& c, const std::string& v) {
         c.vars.deployment_group_id = v;
         return Status{};
     }},
    {"--scripts-log", true,
     [](HookCommand& c, const std::string& v) {
         c.scripts_log = v;
         return Status{};
     }},
    {"--agent", true,
     [](HookCommand& c, const std::string& v) { return assign(agent_version(v), c.spec.agent); }},
    {"--env", true,
     [](HookCommand& c, const std::string& v) {
         c.env_extras.push_back(v);
         return env_assignment(v);
     }},
    {"--runas", true,
     [](HookCommand& c, const std::string& v) {
         c.spec.runas = v;
         return Status{};
     }},
    {"--sudo", false,
     [](HookCommand& c, const std::string&) {
         c.spec.sudo = true;
         return Status{};
     }},
    {"--hard-kill-after", true,
     [](HookCommand& c, const std::string& v) {
         int s = 0;
         auto status = assign(positive("--hard-kill-after", v), s);
         c.spec.hard_kill_after_s = s;
         return status;
     }},
    {"--print-output", false,
     [](HookCommand& c, const std::string&) {
         c.print_output = true;
         return Status{};
     }},
};

const Option<DeployOptions> k_deploy_options[] = {
    {"--bundle", true,
     [](DeployOptions& o, const std::string& v) {
         o.bundle = v;
         return Status{};
     }},
    {"--root", true,
     [](DeployOptions& o, const std::string& v) {
         o.root = v;
         return Status{};
     }},
    {"--application", true,
     [](DeployOptions& o, const std::string& v) {
         o.application = v;
         return Status{};
     }},
    {"--group", true,
     [](DeployOptions& o, const std::string& v) {
         o.group = v;
         return Status{};
     }},
    {"--group-id", true,
     [](DeployOptions& o, const std::string& v) {
         o.group_id = v;
         return Status{};
     }},
    {"--deployment-id", true,
     [](DeployOptions& o, const std::string& v) {
         o.deployment_id = v;
         return Status{};
     }},
    {"--agent", true,
     [](DeployOptions& o, const std::string& v) { return assign(agent_version(v), o.agent); }},
    {"--stop-after", true,
     [](DeployOptions& o, const std::string& v) {
         const auto& events = lifecycle_events();
         o.stop_after = v;
         return std::find(events.begin(), events.end(), v) != events.end()
                    ? Status{}
                    : Status{Error{"--stop-after: unknown lifecycle event \"" + v + "\""}};
     }},
    {"--print-output", false,
     [](DeployOptions& o, const std::string&) {
         o.print_output = true;
         return Status{};
     }},
    {"--hard-kill-after", true,
     [](DeployOptions& o, const std::string& v) {
         int s = 0;
         auto status = assign(positive("--hard-kill-after", v), s);
         o.hard_kill_after_s = s;
         return status;
     }},
    {"--file-exists-behavior", true,
     [](DeployOptions& o, const std::string& v) {
         o.file_exists_behavior = v;
         return Status{};
     }},
    {"--env", true,
     [](DeployOptions& o, const std::string& v) {
         o.env_extras.push_back(v);
         return env_assignment(v);
     }},
};

// Applies "--name value" / "--name=value" options from the table; records the names seen.
template <class T>
Status parse_options(std::span<const Option<T>> table, std::span<const std::string> args, T& target,
                     std::set<std::string>& seen) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const auto option = std::find_if(table.begin(), table.end(),
                                         [&](const Option<T>& o) { return name == o.name; });
        if (option == table.end()) {
            return Error{"unknown option \"" + name + "\" (see --help)"};
        }
        std::string value;
        if (option->takes_value && eq != std::string::npos) {
            value = arg.substr(eq + 1);
        } else if (option->takes_value) {
            if (++i == args.size()) {
                return Error{name + ": missing value"};
            }
            value = args[i];
        } else if (eq != std::string::npos) {
            return Error{name + " takes no value"};
        }
        if (auto status = option->apply(target, value); !status) {
            return status;
        }
        seen.insert(name);
    }
    return {};
}

Status require(const std::set<std::string>& seen, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        if (seen.count(name) == 0) {
            return Error{std::string("missing required option ") + name};
        }
    }
    return {};
}

util::Result<Command> parse_hook(std::span<const std::string> args) {
    HookCommand command;
    command.vars.application_name = "codedeploy-sim";
    command.vars.deployment_group_name = "LocalFleet";
    std::set<std::string> seen;
    if (auto s = parse_options<HookCommand>(k_hook_options, args, command, seen); !s) {
        return s.error();
    }
    if (auto s = require(seen, {"--script", "--event"}); !s) {
        return s.error();
    }
    if (command.spec.script.empty() || command.spec.script.front() != '/') {
        return Error{"--script: the agent always runs an absolute path, got \"" +
                     command.spec.script + "\""};
    }
    HookSpec& spec = command.spec;
    spec.event = command.vars.lifecycle_event;
    spec.location = spec.location.empty() ? spec.script : spec.location;
    if (command.vars.deployment_id.empty()) {
        command.vars.deployment_id = "d-SIMULATED-local";
    }
    if (command.vars.deployment_group_id.empty()) {
        command.vars.deployment_group_id = command.vars.deployment_group_name;
    }
    spec.env = hook_environment(command.vars, command.env_extras, own_environment());
    return Command{std::move(command)};
}

util::Result<Command> parse_deploy(std::span<const std::string> args) {
    DeployCommand command;
    std::set<std::string> seen;
    if (auto s = parse_options<DeployOptions>(k_deploy_options, args, command.options, seen); !s) {
        return s.error();
    }
    if (auto s = require(seen, {"--bundle", "--root"}); !s) {
        return s.error();
    }
    DeployOptions& o = command.options;
    // codedeploy-local without -a / -d: the bundle's path and LocalFleet.
    if (o.application.empty()) {
        o.application = std::filesystem::absolute(o.bundle).lexically_normal().string();
        while (o.application.size() > 1 && o.application.back() == '/') {
            o.application.pop_back();
        }
    }
    if (o.group.empty()) {
        o.group = "LocalFleet";
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(o.bundle, ec)) {
        return Error{"--bundle: not a directory: " + o.bundle.string()};
    }
    o.bundle = std::filesystem::absolute(o.bundle);
    o.root = std::filesystem::absolute(o.root);
    const std::string group_id = o.group_id.empty() ? o.group : o.group_id;
    if (group_id.empty() || group_id.find('/') != std::string::npos ||
        o.deployment_id.find('/') != std::string::npos) {
        return Error{"--group-id/--group and --deployment-id must be non-empty names without '/'"};
    }
    return Command{std::move(command)};
}

}  // namespace

util::Result<Command> parse_command_line(const std::vector<std::string>& args) {
    if (args.empty()) {
        return Error{"missing subcommand: hook or deploy (see --help)"};
    }
    const std::span<const std::string> rest(args.data() + 1, args.size() - 1);
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        return Command{HelpCommand{}};
    }
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
        return Command{HelpCommand{}};
    }
    if (args[0] == "hook") {
        return parse_hook(rest);
    }
    if (args[0] == "deploy") {
        return parse_deploy(rest);
    }
    return Error{"unknown subcommand \"" + args[0] + "\": expected hook or deploy"};
}

std::string usage_text() {
    return R"(codedeploy-sim: run hooks exactly the way the AWS CodeDeploy agent does.

codedeploy-sim hook --script ABS_PATH --event EVENT [--location REL] [--timeout S]
    [--deployment-id ID] [--application NAME] [--group NAME] [--group-id ID]
    [--scripts-log FILE] [--agent v1|v2] [--env K=V ...] [--runas USER [--sudo]]
    [--hard-kill-after S] [--print-output]
  Runs one script; prints one JSON object ("type":"hook") on stdout.

codedeploy-sim deploy --bundle DIR --root DIR [--application A] [--group G] [--group-id ID]
    [--deployment-id ID] [--agent v1|v2] [--stop-after EVENT] [--file-exists-behavior B]
    [--env K=V ...] [--hard-kill-after S] [--print-output]
  Runs a whole deployment; prints one JSON line per hook run, one for Install
  ("type":"install") and a final summary ("type":"summary").

Exit status: 0 success, 1 the hook or deployment failed, 2 usage error.
--hard-kill-after S is test hygiene the agent does not have: SIGKILL to the hook's process
group S seconds after the timeout's SIGTERM, and to group members left behind at the end.
--print-output echoes every scripts.log entry live on stderr.
)";
}

}  // namespace stagehand::agent
