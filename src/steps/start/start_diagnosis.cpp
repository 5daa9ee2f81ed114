#include "steps/start/start_diagnosis.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/gate/gate.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {

namespace {

constexpr int k_log_lines = 10;
constexpr std::size_t k_log_line_bytes = 200;
// PSI "some" over 10 s at which tasks waiting on memory are a fact worth a verdict's words.
constexpr double k_high_pressure_percent = 10.0;

}  // namespace

std::string probe_attempts_text(const ServiceRecord& record) {
    return std::to_string(record.probe_attempts) + " attempts, last: " + record.probe_error;
}

std::vector<std::string> container_diagnosis(const std::string& name,
                                             const core::ServiceState& state,
                                             const os::ContainerState& container,
                                             const ServiceRecord& record, os::Docker& docker,
                                             os::MonoTime until, const os::Cancel& cancel) {
    std::vector<std::string> lines;
    const std::string killed_by = state.oom.kind == core::OomKind::none
                                      ? ""
                                      : std::string(", kernel: ") + core::to_string(state.oom.kind);
    lines.push_back(name + ": exit code " + std::to_string(state.exit_code) + ", OOMKilled " +
                    (container.oom_killed ? "true" : "false") + killed_by + ", peak " +
                    core::format_mib(state.peak));
    if (!record.probe_error.empty()) {
        lines.push_back(name + ": ready probe, " + probe_attempts_text(record));
    }
    if (container.id.empty()) {
        return lines;
    }
    auto logs = docker.logs_tail(container.id, k_log_lines, until, cancel);
    if (!logs) {
        lines.push_back(name + ": no logs: " + logs.error().message);
        return lines;
    }
    for (const auto& line : *logs) {
        lines.push_back(name + "| " + util::sanitize_line(line, k_log_line_bytes));
    }
    return lines;
}

std::vector<std::string> memory_diagnosis(const core::StartPlan& plan,
                                          const core::Snapshot& snapshot,
                                          os::ProcessTable& processes) {
    std::vector<std::pair<core::Bytes, std::string>> containers;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        if (const auto bytes = snapshot.services[i].current_memory(); bytes > 0) {
            containers.emplace_back(bytes, plan.services[i].name);
        }
    }
    std::sort(containers.rbegin(), containers.rend());
    std::vector<std::string> lines;
    std::string text = "largest containers:";
    for (std::size_t i = 0; i < std::min<std::size_t>(containers.size(), 5); ++i) {
        text += " " + containers[i].second + " " + core::format_mib(containers[i].first);
    }
    lines.push_back(text);
    if (auto largest = processes.largest(5)) {
        text = "largest processes:";
        for (const auto& process : *largest) {
            text += " " + process.command + "(" + std::to_string(process.pid) + ") " +
                    core::format_mib(process.rss);
        }
        lines.push_back(text);
    }
    return lines;
}

std::string oom_kills_first(std::int64_t kills, std::optional<core::Bytes> lowest_available,
                            const std::string& message) {
    const std::string lowest =
        lowest_available ? "; lowest sampled available " + core::format_mib(*lowest_available)
                         : std::string();
    return "the kernel's OOM killer killed " + std::to_string(kills) +
           (kills == 1 ? " process" : " processes") +
           " on this host during the start (system-wide: the host ran out of memory" + lowest +
           "); then " + message;
}

std::string memory_shortage_note(std::optional<core::Bytes> lowest_available, core::Bytes total,
                                 std::optional<double> psi_some_avg10) {
    const bool little_left = lowest_available && total > 0 && *lowest_available * 10 < total;
    const bool pressure = psi_some_avg10 && *psi_some_avg10 >= k_high_pressure_percent;
    if (!little_left && !pressure) {
        return "";
    }
    std::string note = " (while the host was short of memory: ";
    if (lowest_available) {
        note += "lowest sampled available " + core::format_mib(*lowest_available) + " of " +
                core::format_mib(total);
    }
    if (psi_some_avg10) {
        char text[64];
        std::snprintf(text, sizeof text, "memory pressure some avg10 %.1f%%", *psi_some_avg10);
        note += std::string(lowest_available ? ", " : "") + text;
    }
    return note + ")";
}

// (The gate's next decision alone blamed the next service in line, "gesture-service ...
// waiting for 1 service(s) still starting", while chat-service was the one awaited.)
Interruption describe_interruption(os::CancelReason reason, const core::StartPlan& plan,
                                   const core::Snapshot& snapshot,
                                   const std::vector<ServiceRecord>& records,
                                   std::optional<std::size_t> cut_short) {
    Interruption result;
    const std::string what = reason == os::CancelReason::deadline ? "deadline passed"
                             : reason == os::CancelReason::sigint ? "interrupted (SIGINT)"
                                                                  : "interrupted (SIGTERM)";
    std::string awaited;
    for (std::size_t i = 0; i < plan.services.size(); ++i) {
        if (snapshot.services[i].phase != core::Phase::starting) {
            continue;
        }
        const auto& record = records[i];
        const std::string probe =
            record.probe_error.empty() ? "" : " (ready probe " + probe_attempts_text(record) + ")";
        awaited += (awaited.empty() ? ": waiting for " : "; ") + record.name + " not ready" + probe;
        result.service = result.service.empty() ? record.name : result.service;
        if (!record.probe_error.empty()) {
            result.diagnosis.push_back(record.name + ": not ready, ready probe " +
                                       probe_attempts_text(record));
        }
    }
    const auto decision = core::decide(plan, snapshot);
    if (cut_short) {
        result.service = plan.services[*cut_short].name;
        awaited = " while starting " + result.service + awaited;
    } else if (awaited.empty() && decision.kind == core::Decision::Kind::wait &&
               !decision.reasons.empty()) {
        result.service = plan.services[decision.service].name;
        awaited = ": " + result.service + " was waiting for " + decision.reasons[0].text;
    }
    result.verdict = what + awaited;
    return result;
}

}  // namespace stagehand::steps
