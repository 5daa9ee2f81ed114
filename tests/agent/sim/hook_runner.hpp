#pragma once
// Running one hook script exactly as the CodeDeploy agent does (hook_executor.rb v1.8 and the
// v2 rewrite): existence and chmod checks, spawn, one deadline for the process and both
// output streams, SIGTERM to the process group at the deadline, error codes and messages.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/command.hpp"
#include "sim/script_log.hpp"

namespace stagehand::agent {

// The agent's error codes (ScriptError in hook_executor.rb; 7 from command_poller.rb).
enum class AgentError : int {
    succeeded = 0,
    script_missing = 1,
    script_not_executable = 2,
    timed_out = 3,
    script_failed = 4,  // non-zero exit, killed by a signal, or could not be started
    unknown = 5,        // appspec invalid, Install failed, ...
    outputs_left_open = 6,
    failed_after_restart = 7,  // here: codedeploy-sim itself was interrupted mid-hook
};

struct HookSpec {
    std::string script;    // absolute path of the file to run
    std::string location;  // the appspec location, as the agent's messages name it
    std::string event;
    int timeout_s = 3600;
    std::optional<std::string> runas;  // run through "su USER -c" like the agent
    bool sudo = false;
    AgentVersion agent = AgentVersion::v1;
    std::vector<std::string> env;  // "K=V": the hook's whole environment (hook_environment)
    // Test hygiene, not agent behaviour: SIGKILL the group this long after the SIGTERM, and
    // group members left behind at the end (after the same grace if there was a SIGTERM).
    std::optional<int> hard_kill_after_s;
};

struct HookOutcome {
    std::string event;
    std::string location;
    std::string script;
    AgentVersion agent = AgentVersion::v1;
    int timeout_s = 0;
    pid_t pid = -1;                // the hook's pid (= its process group), -1 if never started
    std::optional<int> exit_code;  // Ruby's exitstatus: none when killed by a signal
    std::optional<int> signal;     // the signal that ended it
    AgentError error = AgentError::succeeded;
    std::string message;  // the agent's error message; empty on success
    bool timed_out = false;
    bool outputs_left_open = false;
    bool chmodded = false;       // the script was not executable and we chmod +x'ed it
    bool sigterm_sent = false;   // at the deadline, to the process group
    bool sigkill_sent = false;   // to the group, by the v2 rule or by --hard-kill-after
    bool hard_killed = false;    // that SIGKILL came from --hard-kill-after (the agent never does)
    bool interrupted = false;    // we were signalled (SIGINT/SIGTERM/SIGHUP) and killed the group
    int leftover_processes = 0;  // live members of the hook's process group after the event
    bool leftovers_killed = false;
    std::int64_t duration_ms = 0;  // until the agent would report the result
    // From the timeout's SIGTERM to the hook's exit (under runas su SIGKILLs it after 2 s).
    std::optional<std::int64_t> exited_after_sigterm_ms;
    std::size_t lines = 0;              // stdout + stderr lines received
    bool utf8_valid = true;             // every received line is well-formed UTF-8
    std::string tail;                   // console_tail() of the event's log after this script
    nlohmann::ordered_json diagnostic;  // diagnostic_payload() after this script

    bool ok() const { return error == AgentError::succeeded; }
};

// Runs one script of the current event. Messages go through logger (its event was begun by
// the caller: begin_event). interrupt_fd: a signalfd for our own SIGINT/SIGTERM/SIGHUP, or -1.
HookOutcome run_hook(const HookSpec& spec, ScriptLogger& logger, int interrupt_fd);

// One JSON object describing the outcome (see the README of codedeploy-sim for the fields).
nlohmann::ordered_json to_json(const HookOutcome& outcome);

}  // namespace stagehand::agent
