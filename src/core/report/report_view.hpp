#pragma once
// The deployment report (SPEC section 8) as the picture needs it: plain values read tolerantly
// from the JSON, so a report from an older or newer stagehand, a failed run or a hand-edited
// file still renders. Times are milliseconds since the start sequence began; -1 = never.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stagehand::core {

struct WaitView {
    std::string kind;  // ReasonKind's name ("memory", "cpu", ...); "" in older reports
    std::string reason;
    double from_ms = 0;
    double to_ms = 0;
};

struct ServiceView {
    std::string name;
    std::string outcome;  // ready, completed, unchanged, gave up, failed, starting, not started
    std::string need_source;
    double need_bytes = 0;
    double start_ms = -1;
    double ready_ms = -1;
    double peak_bytes = 0;
    bool warning = false;
    bool oom_killed = false;  // its oom_kill kind is an OOM kill (core/oom)
    std::vector<WaitView> waits;
};

struct SampleView {
    double at_ms = 0;
    double available_bytes = 0;
    double total_bytes = 0;
};

struct ReportView {
    std::string title;       // "after-install · randhand · <deployment id>"
    std::string outcome;     // the hook's outcome ("succeeded", "failed", ...) or ""
    std::string verdict;     // the run's last line, when the report carries it
    bool has_start = false;  // false: the report holds no start sequence
    bool ok = true;
    std::string failure;
    std::string failed_service;
    std::vector<std::string> diagnosis;
    std::string memory_source;
    int oom_kills = 0;
    std::optional<double> first_start_ms;
    std::optional<double> all_ready_ms;
    std::optional<double> deadline_ms;
    std::vector<ServiceView> services;
    std::vector<SampleView> samples;
};

// Finds the start sequence in a whole report (hooks.after-install.start), in after-install's
// own part ({"start": {...}}) or in the start object itself. Never throws.
ReportView read_report_view(const nlohmann::json& report);

}  // namespace stagehand::core
