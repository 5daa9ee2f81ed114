#include "steps/start/start_report.hpp"

#include <algorithm>
#include <cstdio>

#include "core/gate/gate.hpp"

namespace stagehand::steps {

namespace {

std::string seconds_or_dash(core::Millis at) {
    return at.count() < 0 ? "-" : core::format_seconds(at);
}

core::Millis waited(const ServiceRecord& record) {
    core::Millis total{0};
    for (const auto& wait : record.waits) {
        total += std::max(core::Millis(0), wait.to - wait.from);
    }
    return total;
}

std::string row(const std::string& name, const std::string& need, const std::string& wait,
                const std::string& started, const std::string& ready, const std::string& peak,
                const std::string& result) {
    char text[256];
    std::snprintf(text, sizeof text, "%-22.22s %-13.13s %7s %8s %8s %8s  %s", name.c_str(),
                  need.c_str(), wait.c_str(), started.c_str(), ready.c_str(), peak.c_str(),
                  result.c_str());
    return text;
}

bool noteworthy(const ServiceRecord& record) {
    return record.warning || record.outcome == "failed" || record.outcome == "starting";
}

}  // namespace

std::vector<std::string> start_table(const StartResult& result, std::size_t max_rows) {
    std::vector<std::string> lines;
    lines.push_back(row("service", "need", "waited", "started", "ready", "peak", "result"));
    std::vector<const ServiceRecord*> shown;
    for (const auto& record : result.services) {
        shown.push_back(&record);
    }
    if (shown.size() > max_rows) {
        std::stable_partition(shown.begin(), shown.end(),
                              [](const ServiceRecord* record) { return noteworthy(*record); });
        shown.resize(max_rows);
    }
    for (const auto* record : shown) {
        const std::string need =
            core::format_mib(record->need) + " " +
            (record->need_source == core::NeedSource::default_guess
                 ? "dflt"
                 : std::string(core::to_string(record->need_source)).substr(0, 4));
        lines.push_back(row(record->name, need, core::format_seconds(waited(*record)),
                            seconds_or_dash(record->started_at), seconds_or_dash(record->ready_at),
                            record->peak > 0 ? core::format_mib(record->peak) : "-",
                            record->outcome + (record->warning ? " (!)" : "")));
    }
    if (result.services.size() > shown.size()) {
        lines.push_back("... " + std::to_string(result.services.size() - shown.size()) +
                        " more services in the report");
    }
    return lines;
}

std::string start_verdict(const StartResult& result) {
    if (!result.ok) {
        return "FAILED: " + result.failure;
    }
    std::size_t started = 0;
    std::size_t unchanged = 0;
    for (const auto& record : result.services) {
        started += record.started_at.count() >= 0 ? 1 : 0;
        unchanged += record.unchanged ? 1 : 0;
    }
    const core::Millis span = result.all_ready && result.first_start
                                  ? *result.all_ready - *result.first_start
                                  : core::Millis(0);
    std::string text = "OK: " + std::to_string(started) + " services ready " +
                       core::format_seconds(span) + " after the first start";
    if (unchanged > 0) {
        text += " (" + std::to_string(unchanged) + " unchanged)";
    }
    return text + ", " + std::to_string(result.oom_kills) + " OOM kills";
}

nlohmann::json start_report_json(const StartResult& result) {
    nlohmann::json services = nlohmann::json::array();
    for (const auto& record : result.services) {
        nlohmann::json waits = nlohmann::json::array();
        for (const auto& wait : record.waits) {
            waits.push_back({{"kind", core::to_string(wait.kind)},
                             {"reason", wait.reason},
                             {"from_ms", wait.from.count()},
                             {"to_ms", wait.to.count()}});
        }
        services.push_back({{"name", record.name},
                            {"image", record.image},
                            {"need_bytes", record.need},
                            {"need_source", core::to_string(record.need_source)},
                            {"ready_by", core::to_string(record.ready_by)},
                            {"ready_signals", record.ready_signals},
                            {"start_ms", record.started_at.count()},
                            {"ready_ms", record.ready_at.count()},
                            {"peak_bytes", record.peak},
                            {"probe_attempts", record.probe_attempts},
                            {"probe_error", record.probe_error},
                            {"container", record.container_id},
                            {"unchanged", record.unchanged},
                            {"outcome", record.outcome},
                            {"warning", record.warning},
                            {"oom_kill", core::to_string(record.oom_kill)},
                            {"waits", waits}});
    }
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& sample : result.memory) {
        nlohmann::json entry = {{"at_ms", sample.at.count()},
                                {"available_bytes", sample.available},
                                {"total_bytes", sample.total}};
        if (sample.psi) {
            entry["psi_some_avg10"] = *sample.psi;
        }
        samples.push_back(entry);
    }
    nlohmann::json json = {{"ok", result.ok},
                           {"failure", result.failure},
                           {"failed_service", result.failed_service},
                           {"diagnosis", result.diagnosis},
                           {"oom_kills", result.oom_kills},
                           {"memory_source", result.memory_source},
                           {"services", services},
                           {"memory_samples", samples}};
    if (result.first_start) {
        json["first_start_ms"] = result.first_start->count();
    }
    if (result.all_ready) {
        json["all_ready_ms"] = result.all_ready->count();
    }
    return json;
}

core::Profiles learned_profiles(const StartResult& result) {
    core::Profiles profiles;
    // A run with an OOM kill teaches nothing: its peaks and times were taken under a memory
    // shortage, and a kill cuts a peak short.
    const bool oom_killed =
        std::any_of(result.services.begin(), result.services.end(),
                    [](const auto& r) { return core::is_oom_kill(r.oom_kill); });
    if (result.oom_kills > 0 || oom_killed) {
        return profiles;
    }
    for (const auto& record : result.services) {
        if (record.outcome == "ready" && record.peak > 0 && record.started_at.count() >= 0) {
            profiles[record.name] = {record.peak, record.ready_at - record.started_at};
        }
    }
    return profiles;
}

}  // namespace stagehand::steps
