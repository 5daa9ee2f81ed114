#include "sim/command.hpp"

#include <unistd.h>

#include <cstring>

extern char** environ;
#include <sstream>

namespace stagehand::agent {

namespace {

std::string key_of(const std::string& assignment) {
    return assignment.substr(0, assignment.find('='));
}

void set_var(std::vector<std::string>& env, const std::string& assignment) {
    const std::string key = key_of(assignment);
    for (auto& existing : env) {
        if (key_of(existing) == key) {
            existing = assignment;
            return;
        }
    }
    env.push_back(assignment);
}

std::string path_of(const std::vector<std::string>& env) {
    for (const auto& var : env) {
        if (var.rfind("PATH=", 0) == 0) {
            return var.substr(5);
        }
    }
    return "";
}

// The executable a command word names: itself when it holds a '/', else the first executable
// match on PATH; empty when there is none.
std::string resolve(const std::string& word, const std::vector<std::string>& env) {
    if (word.find('/') != std::string::npos) {
        return word;
    }
    std::istringstream dirs(path_of(env));
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + word;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return "";
}

// Ruby's process.c (rb_exec_fillarg): any of these sends the command string through the shell.
bool has_shell_meta(const std::string& command) {
    return command.find_first_of("*?{}[]<>()~&|\\$;'`\"\n#") != std::string::npos ||
           command.substr(0, command.find_first_of(" \t")).find('=') != std::string::npos;
}

std::vector<std::string> split_words(const std::string& command) {
    std::vector<std::string> words;
    std::string word;
    for (char c : command) {
        if (c == ' ' || c == '\t') {
            if (!word.empty()) {
                words.push_back(word);
            }
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) {
        words.push_back(word);
    }
    return words;
}

AgentCommand finish(std::vector<std::string> words, const std::vector<std::string>& env) {
    const std::string exe = resolve(words.front(), env);
    if (exe.empty()) {
        return AgentCommand{{}, std::string(std::strerror(ENOENT)) + " - " + words.front()};
    }
    words.front() = exe;
    return AgentCommand{std::move(words), ""};
}

}  // namespace

const char* to_string(AgentVersion version) {
    return version == AgentVersion::v1 ? "v1" : "v2";
}

std::vector<std::string> own_environment() {
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        env.emplace_back(*entry);
    }
    return env;
}

std::vector<std::string> hook_environment(const DeploymentVars& vars,
                                          const std::vector<std::string>& extras,
                                          const std::vector<std::string>& inherited) {
    // hook_executor.rb: the agent's ENV, minus the credentials it removes explicitly.
    std::vector<std::string> env;
    for (const auto& var : inherited) {
        const std::string key = key_of(var);
        if (key != "AWS_ACCESS_KEY_ID" && key != "AWS_SECRET_ACCESS_KEY" &&
            key != "AWS_CREDENTIAL_FILE") {
            set_var(env, var);
        }
    }
    if (path_of(env).empty()) {
        set_var(env, std::string("PATH=") + k_agent_path);  // as systemd starts the agent
    }
    set_var(env, "LIFECYCLE_EVENT=" + vars.lifecycle_event);
    set_var(env, "DEPLOYMENT_ID=" + vars.deployment_id);
    set_var(env, "APPLICATION_NAME=" + vars.application_name);
    set_var(env, "DEPLOYMENT_GROUP_NAME=" + vars.deployment_group_name);
    set_var(env, "DEPLOYMENT_GROUP_ID=" + vars.deployment_group_id);
    for (const auto& extra : extras) {
        set_var(env, extra);
    }
    return env;
}

AgentCommand agent_command(AgentVersion version, const std::string& script_path,
                           const std::optional<std::string>& runas, bool sudo,
                           const std::vector<std::string>& env) {
    // LinuxUtil.prepare_script_command: any runas (even root) goes through su.
    std::vector<std::string> words;
    if (runas && sudo) {
        words = {"sudo", "su", *runas, "-c", script_path};
    } else if (runas) {
        words = {"su", *runas, "-c", script_path};
    } else {
        words = {script_path};
    }
    if (version == AgentVersion::v2) {
        return finish(std::move(words), env);
    }
    std::string command;
    for (const auto& word : words) {
        command += (command.empty() ? "" : " ") + word;
    }
    if (has_shell_meta(command)) {
        return AgentCommand{{"/bin/sh", "-c", command}, ""};
    }
    return finish(split_words(command), env);
}

}  // namespace stagehand::agent
