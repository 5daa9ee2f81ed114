// The JSON object codedeploy-sim prints for one hook run (declared in hook_runner.hpp).

#include <string.h>

#include "sim/hook_runner.hpp"

namespace stagehand::agent {

namespace {

template <class T>
nlohmann::ordered_json or_null(const std::optional<T>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json signal_name(const std::optional<int>& signal) {
    if (!signal) {
        return nullptr;
    }
    const char* abbrev = ::sigabbrev_np(*signal);
    return abbrev != nullptr ? "SIG" + std::string(abbrev) : std::to_string(*signal);
}

}  // namespace

nlohmann::ordered_json to_json(const HookOutcome& o) {
    return nlohmann::ordered_json{
        {"type", "hook"},
        {"event", o.event},
        {"location", o.location},
        {"script", o.script},
        {"agent", to_string(o.agent)},
        {"timeout", o.timeout_s},
        {"pid", o.pid},
        {"exit_code", or_null(o.exit_code)},
        {"signal", or_null(o.signal)},
        {"signal_name", signal_name(o.signal)},
        {"agent_error_code", static_cast<int>(o.error)},
        {"agent_error", o.message},
        {"timed_out", o.timed_out},
        {"outputs_left_open", o.outputs_left_open},
        {"chmodded", o.chmodded},
        {"sigterm_sent", o.sigterm_sent},
        {"sigkill_sent", o.sigkill_sent},
        {"hard_killed", o.hard_killed},
        {"interrupted", o.interrupted},
        {"leftover_processes", o.leftover_processes},
        {"leftovers_killed", o.leftovers_killed},
        {"duration_ms", o.duration_ms},
        {"exited_after_sigterm_ms", o.exited_after_sigterm_ms
                                        ? nlohmann::ordered_json(*o.exited_after_sigterm_ms)
                                        : nlohmann::ordered_json()},
        {"lines", o.lines},
        {"utf8_valid", o.utf8_valid},
        {"tail", o.tail},
        {"diagnostic", o.diagnostic}};
}

}  // namespace stagehand::agent
