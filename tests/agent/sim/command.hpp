#pragma once
// What the agent executes for a hook script, and with which environment.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stagehand::agent {

// The two agent generations. v1: the Ruby agent (1.x). v2: the Rust rewrite, same contract
// except stdin (/dev/null) and a SIGKILL to the group 5 s after the timeout's SIGTERM.
enum class AgentVersion { v1, v2 };

const char* to_string(AgentVersion version);

// The PATH of an agent started by systemd: its only inherited variable that hooks may use.
inline constexpr const char* k_agent_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The deployment facts the agent exports to every hook.
struct DeploymentVars {
    std::string lifecycle_event;
    std::string deployment_id;
    std::string application_name;
    std::string deployment_group_name;
    std::string deployment_group_id;
};

// The hook's whole environment, "K=V": the agent's own (`inherited`, as /etc/profile or the
// caller of codedeploy-local left it; PATH defaults to k_agent_path) without the AWS
// credentials the agent removes, then the five deployment variables, then extras ("K=V"; a
// later key replaces an earlier one).
std::vector<std::string> hook_environment(const DeploymentVars& vars,
                                          const std::vector<std::string>& extras,
                                          const std::vector<std::string>& inherited = {});

// This process's own environment, "K=V" (what the agent passes on).
std::vector<std::string> own_environment();

// The argv for a script. v1 builds a command string -- the path, or "su USER -c path" for
// `runas` ("sudo su ..." with `sudo: true`) -- and hands it to Ruby's spawn, which runs it
// through "/bin/sh -c" when it holds a shell metacharacter and otherwise splits it at
// whitespace and looks the first word up on the hook's PATH. v2 passes argv directly.
// When the first word is not found on PATH, argv is empty and error holds Ruby's message.
struct AgentCommand {
    std::vector<std::string> argv;
    std::string error;  // set when argv is empty: Ruby's Errno::ENOENT text
};
AgentCommand agent_command(AgentVersion version, const std::string& script_path,
                           const std::optional<std::string>& runas, bool sudo,
                           const std::vector<std::string>& env);

}  // namespace stagehand::agent
