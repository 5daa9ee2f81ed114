#include "support/sim.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace stagehand::integration {

namespace {

// Hygiene the agent lacks: whatever a hook leaves behind is SIGKILLed by the simulator (and
// reported in leftover_processes first), so a broken hook cannot outlive its test.
constexpr const char* k_hard_kill_after_s = "10";

const nlohmann::json& empty_object() {
    static const nlohmann::json k_empty = nlohmann::json::object();
    return k_empty;
}

// STAGEHAND_IT_VERBOSE=1: print every simulator run (the tails the agent would show).
bool verbose() {
    const char* value = std::getenv("STAGEHAND_IT_VERBOSE");
    return value != nullptr && std::string(value) == "1";
}

SimResult parsed(CommandResult run) {
    SimResult result;
    result.run = std::move(run);
    std::istringstream lines(result.run.out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            result.objects.push_back(nlohmann::json::parse(line, nullptr, false));
        }
    }
    if (verbose()) {
        std::cerr << result.dump();
    }
    return result;
}

void add_env(std::vector<std::string>& argv, const std::vector<std::string>& env) {
    for (const auto& entry : env) {
        argv.insert(argv.end(), {"--env", entry});
    }
}

}  // namespace

const nlohmann::json& SimResult::summary() const {
    for (const auto& object : objects) {
        if (object.is_object() && object.value("type", "") == "summary") {
            return object;
        }
    }
    return empty_object();
}

const nlohmann::json& SimResult::hook(const std::string& event) const {
    for (const auto& object : objects) {
        if (object.is_object() && object.value("type", "") == "hook" &&
            object.value("event", "") == event) {
            return object;
        }
    }
    return empty_object();
}

std::vector<nlohmann::json> SimResult::hooks() const {
    std::vector<nlohmann::json> found;
    for (const auto& object : objects) {
        if (object.is_object() && object.value("type", "") == "hook") {
            found.push_back(object);
        }
    }
    return found;
}

const nlohmann::json& SimResult::only_hook() const {
    const auto all = hooks();
    return all.size() == 1 ? hook(all.front().value("event", "")) : empty_object();
}

std::string SimResult::dump() const {
    std::string text = "codedeploy-sim " + run.describe() + "\n";
    bool unparsed = false;
    for (const auto& object : objects) {
        if (!object.is_object()) {
            unparsed = true;
            continue;
        }
        const std::string type = object.value("type", "");
        if (type == "hook") {
            text += "--- " + object.value("event", "?") + ": exit " + object["exit_code"].dump() +
                    ", signal " + object["signal"].dump() + ", agent error " +
                    object["agent_error_code"].dump() + ", " + object["duration_ms"].dump() +
                    " ms, pid " + object["pid"].dump() + ", tail:\n" + object.value("tail", "") +
                    "\n";
        } else if (type == "summary") {
            text += "--- summary: " + object.value("status", "?") + ", failed event " +
                    object["failed_event"].dump() + ", error " + object["error_code"].dump() +
                    ", " + object["duration_ms"].dump() + " ms\n";
        }
    }
    if (unparsed || objects.empty()) {
        text += "--- stdout:\n" + run.out;
    }
    return run.err.empty() ? text : text + "--- stderr:\n" + run.err;
}

SimResult Sim::deploy(const DeployArgs& args, Millis limit) const {
    std::vector<std::string> argv{m_executable.string(),
                                  "deploy",
                                  "--bundle",
                                  args.bundle.string(),
                                  "--root",
                                  args.root.string(),
                                  "--application",
                                  args.application,
                                  "--group",
                                  args.group,
                                  "--hard-kill-after",
                                  k_hard_kill_after_s};
    if (!args.deployment_id.empty()) {
        argv.insert(argv.end(), {"--deployment-id", args.deployment_id});
    }
    add_env(argv, args.env);
    return parsed(run_command(argv, limit));
}

Child Sim::start_hook(const HookArgs& args) const {
    std::vector<std::string> argv{m_executable.string(),
                                  "hook",
                                  "--script",
                                  args.script.string(),
                                  "--event",
                                  args.event,
                                  "--location",
                                  "hooks/" + args.script.filename().string(),
                                  "--timeout",
                                  std::to_string(args.timeout_s),
                                  "--agent",
                                  args.agent,
                                  "--hard-kill-after",
                                  k_hard_kill_after_s};
    if (!args.deployment_id.empty()) {
        argv.insert(argv.end(), {"--deployment-id", args.deployment_id});
    }
    if (!args.scripts_log.empty()) {
        argv.insert(argv.end(), {"--scripts-log", args.scripts_log.string()});
    }
    if (!args.runas.empty()) {
        argv.insert(argv.end(), {"--runas", args.runas});
    }
    add_env(argv, args.env);
    return Child::start(argv);
}

SimResult Sim::finish(Child& child, Millis limit) {
    return parsed(child.finish(limit));
}

SimResult Sim::hook(const HookArgs& args, Millis limit) const {
    Child child = start_hook(args);
    return finish(child, limit);
}

std::string verdict_of(const nlohmann::json& hook) {
    // The last [stdout] entry: the agent reads stdout and stderr on two pipes and does not keep
    // their interleaving (CODEDEPLOY.md, Output), so an ERROR line written to stderr just
    // before the summary can land after the verdict (seen under load: a flapping service's
    // ERROR after "FAILED: validate: ..."). The hook guarantees the verdict is its last line on
    // stdout, which is what this reads. Entries of neither stream (none today): the last one.
    std::istringstream in(hook.value("tail", ""));
    std::string last;
    std::string last_stdout;
    bool any_stdout = false;
    for (std::string entry; std::getline(in, entry);) {
        if (entry.empty()) {
            continue;
        }
        last = entry;
        if (entry.rfind("[stdout]", 0) == 0) {
            last_stdout = entry.substr(std::string("[stdout]").size());
            any_stdout = true;
        }
    }
    if (any_stdout) {
        return last_stdout;
    }
    return last.rfind("[stderr]", 0) == 0 ? last.substr(std::string("[stderr]").size()) : last;
}

}  // namespace stagehand::integration
