#pragma once
// The agent's record of a hook's output, as aws-codedeploy-agent v1.8 keeps it
// (lib/instance_agent/plugins/codedeploy/hook_executor.rb, class ScriptLog):
//  - every message ("LifecycleEvent - X\n", "Script - loc\n", "[stdout]line\n") is written to
//    <deployment-root>/logs/scripts.log prefixed with "YYYY-MM-DD HH:MM:SS ";
//  - and appended to an in-memory list that keeps only the newest ~2048 characters as whole
//    entries. That list, joined, is the "log tail" the CodeDeploy console shows on failure.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/unique_fd.hpp"
#include "util/result.hpp"

namespace stagehand::agent {

// Characters the agent keeps in its tail (ScriptLog#append_to_log).
inline constexpr long k_tail_budget = 2048;

// True when text is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): what Ruby's JSON generator accepts.
bool is_valid_utf8(std::string_view text);

// The length Ruby's String#length reports for a UTF-8-tagged string: one per well-formed code
// point, one per byte of a malformed sequence.
std::size_t ruby_length(std::string_view text);

// The in-memory tail, with the agent's exact pruning rule (including its off-by-one: after the
// newest entry, each older entry's length counts twice). Consequences: the newest entry alone
// at >= 2048 characters empties the list; whole entries only.
class ScriptLog {
  public:
    // Appends one message and prunes, as append_to_log does after every message.
    void append(std::string entry);
    // The kept entries, oldest first.
    std::vector<std::string> entries() const;
    // The kept entries joined: the diagnostic "log" field.
    std::string joined() const;
    // False when any kept entry is malformed UTF-8 (the agent's JSON diagnostic then fails).
    bool all_valid_utf8() const;

  private:
    struct Entry {
        std::string text;
        long length;  // ruby_length(text)
    };
    std::vector<Entry> m_entries;
};

// The diagnostics payload the agent sends with PutHostCommandComplete, key order as Ruby's
// to_json: {"error_code","script_name","message","log"}. When the log holds malformed UTF-8,
// Ruby's to_json raises and command_poller.rb sends its minimal fallback instead.
nlohmann::ordered_json diagnostic_payload(int error_code, const std::string& script_name,
                                          const std::string& message, const ScriptLog& log);

// What the console shows as the log tail: the kept entries joined, or, when any is malformed
// UTF-8, the fallback diagnostic's JSON text.
std::string console_tail(const ScriptLog& log, const std::string& script_name);

// "YYYY-MM-DD HH:MM:SS" in local time: the agent's Time.now.to_s[0..-7].
std::string agent_timestamp(std::chrono::system_clock::time_point when);

// The agent's log_script: each message goes to the event's ScriptLog, to scripts.log with a
// timestamp (no newline added: an unterminated last line runs into the next entry, as in the
// agent), and, for demos, live to our stderr.
class ScriptLogger {
  public:
    // scripts_log: the file to append to (its folder is created), or none. echo: copy each
    // timestamped entry to stderr. Error: the file cannot be opened.
    static util::Result<ScriptLogger> open(const std::optional<std::filesystem::path>& scripts_log,
                                           bool echo);

    // A new lifecycle event: a fresh ScriptLog (one HookExecutor per event) and the
    // "LifecycleEvent - <event>" entry.
    void begin_event(const std::string& event);
    // Records one message (normally ending in '\n').
    void log_script(const std::string& message);
    const ScriptLog& script_log() const { return m_log; }

  private:
    ScriptLogger(UniqueFd file, bool echo) : m_file(std::move(file)), m_echo(echo) {}

    UniqueFd m_file;
    bool m_echo = false;
    ScriptLog m_log;
};

}  // namespace stagehand::agent
