#include "core/report/report_view.hpp"

#include <cmath>

#include "core/oom/oom_kill.hpp"

namespace stagehand::core {

namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
    static const json k_null;  // a constant, not state: absent fields read as null
    if (!object.is_object()) {
        return k_null;
    }
    const auto found = object.find(key);
    return found == object.end() ? k_null : *found;
}

double number(const json& object, const char* key, double fallback) {
    const json& value = field(object, key);
    if (!value.is_number()) {
        return fallback;
    }
    const double out = value.get<double>();
    return std::isfinite(out) ? out : fallback;
}

std::optional<double> optional_number(const json& object, const char* key) {
    const json& value = field(object, key);
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
        return std::nullopt;
    }
    return value.get<double>();
}

std::string text(const json& object, const char* key) {
    const json& value = field(object, key);
    return value.is_string() ? value.get<std::string>() : std::string();
}

bool flag(const json& object, const char* key, bool fallback) {
    const json& value = field(object, key);
    return value.is_boolean() ? value.get<bool>() : fallback;
}

bool looks_like_start(const json& value) {
    return value.is_object() && field(value, "services").is_array();
}

// The after-install part: hooks.after-install in a whole report (hooks.boot in a boot's,
// after-install --boot: the same start timeline), else the object itself.
const json& hook_part(const json& report) {
    const json& hooks = field(report, "hooks");
    const json& hook = field(hooks, "after-install");
    const json& boot = field(hooks, "boot");
    return hook.is_object() ? hook : boot.is_object() ? boot : report;
}

ServiceView read_service(const json& entry) {
    ServiceView service;
    service.name = text(entry, "name");
    service.outcome = text(entry, "outcome");
    service.need_source = text(entry, "need_source");
    service.need_bytes = number(entry, "need_bytes", 0);
    service.start_ms = number(entry, "start_ms", -1);
    service.ready_ms = number(entry, "ready_ms", -1);
    service.peak_bytes = number(entry, "peak_bytes", 0);
    service.warning = flag(entry, "warning", false);
    const std::string oom_kill = text(entry, "oom_kill");
    for (const auto kind :
         {OomKind::system_wide, OomKind::own_limit, OomKind::parent_limit, OomKind::reported}) {
        service.oom_killed = service.oom_killed || oom_kill == to_string(kind);
    }
    const json& waits = field(entry, "waits");
    if (waits.is_array()) {
        for (const auto& wait : waits) {
            service.waits.push_back({text(wait, "kind"), text(wait, "reason"),
                                     number(wait, "from_ms", 0), number(wait, "to_ms", -1)});
        }
    }
    return service;
}

void read_start(const json& start, ReportView& view) {
    view.has_start = true;
    view.ok = flag(start, "ok", true);
    view.failure = text(start, "failure");
    view.failed_service = text(start, "failed_service");
    view.memory_source = text(start, "memory_source");
    view.oom_kills = static_cast<int>(number(start, "oom_kills", 0));
    view.first_start_ms = optional_number(start, "first_start_ms");
    view.all_ready_ms = optional_number(start, "all_ready_ms");
    view.deadline_ms = optional_number(start, "deadline_ms");
    const json& diagnosis = field(start, "diagnosis");
    if (diagnosis.is_array()) {
        for (const auto& line : diagnosis) {
            if (line.is_string()) {
                view.diagnosis.push_back(line.get<std::string>());
            }
        }
    }
    for (const auto& entry : field(start, "services")) {
        view.services.push_back(read_service(entry));
    }
    const json& samples = field(start, "memory_samples");
    if (samples.is_array()) {
        for (const auto& sample : samples) {
            view.samples.push_back({number(sample, "at_ms", 0),
                                    number(sample, "available_bytes", 0),
                                    number(sample, "total_bytes", 0)});
        }
    }
}

std::string title_of(const json& report, const json& hook) {
    std::string title = text(hook, "hook") == "boot" ? "boot" : "after-install";
    for (const std::string& part : {text(report, "project"), text(report, "deployment_id")}) {
        if (!part.empty()) {
            title += " \u00b7 " + part;
        }
    }
    std::string started = text(hook, "started");
    if (started.empty()) {
        started = text(hook, "start");  // older reports: the start time under "start"
    }
    return started.empty() ? title : title + " \u00b7 " + started;
}

}  // namespace

ReportView read_report_view(const json& report) {
    ReportView view;
    const json& hook = hook_part(report);
    view.title = title_of(report, hook);
    view.outcome = text(hook, "outcome");
    view.verdict = text(hook, "verdict");
    const json& start = field(hook, "start");
    if (looks_like_start(start)) {
        read_start(start, view);
    } else if (looks_like_start(report)) {
        read_start(report, view);
    }
    return view;
}

}  // namespace stagehand::core
