// startup: and validate: sections of stagehand.yml (SPEC sections 3, 5, 7).

#include <array>
#include <cctype>

#include "core/load/config_sections.hpp"
#include "core/load/probe_loader.hpp"
#include "core/load/suggest.hpp"
#include "core/load/units.hpp"

namespace stagehand::core::load {
namespace {

using yaml::Choice;
using yaml::Field;

constexpr std::array<Choice<Gate>, 3> k_gates{{
    {"adaptive", Gate::adaptive},
    {"sleep", Gate::sleep},
    {"none", Gate::none},
}};
constexpr std::array<Choice<OnTimeout>, 2> k_on_timeout{{
    {"fail", OnTimeout::fail},
    {"proceed", OnTimeout::proceed},
}};

MemorySource read_memory_source(const Field& field) {
    std::string text = field.scalar("one of auto, meminfo, cgroup:<folder>");
    if (text == "auto") {
        return MemorySource{MemorySourceKind::auto_detect, ""};
    }
    if (text == "meminfo") {
        return MemorySource{MemorySourceKind::meminfo, ""};
    }
    const std::string prefix = "cgroup:";
    if (text.rfind(prefix, 0) == 0) {
        // An absolute folder, or one relative to the host's memory hierarchy (resolved when
        // the hook runs: /sys/fs/cgroup/memory/NAME on v1, /sys/fs/cgroup/NAME on v2), so one
        // stagehand.yml serves hosts of either version.
        const std::string_view folder = std::string_view(text).substr(prefix.size());
        const bool relative = !folder.empty() && folder.front() != '/';
        auto path = yaml::normalise_absolute_path(relative ? "/" + std::string(folder)
                                                           : std::string(folder));
        if (!path || *path == "/") {
            field.fail(
                "expected cgroup:<cgroup folder> like cgroup:/sys/fs/cgroup/system.slice or "
                "cgroup:system.slice: " +
                (path ? std::string("the hierarchy's root is not a folder to watch")
                      : path.error().message));
        }
        return MemorySource{MemorySourceKind::cgroup, relative ? path->substr(1) : *path};
    }
    field.fail("expected one of auto, meminfo, cgroup:<folder>, got " +
               yaml::describe_found(field.node()) +
               did_you_mean(text, {"auto", "meminfo", "cgroup:"}));
}

// `auto` or a number of services allowed to be starting at once.
int read_concurrency(const Field& field) {
    if (field.node().IsScalar() && field.node().Scalar() == "auto") {
        return k_concurrency_auto;
    }
    if (field.node().IsScalar() && !field.node().Scalar().empty() &&
        std::isdigit(static_cast<unsigned char>(field.node().Scalar().front())) == 0) {
        field.fail("expected auto or a number between 1 and 1000, got " +
                   yaml::describe_found(field.node()) +
                   did_you_mean(field.node().Scalar(), {"auto"}));
    }
    return static_cast<int>(field.integer(1, 1000));
}

ServiceOverrides read_overrides(const yaml::MapReader::Entry& entry) {
    ServiceOverrides overrides;
    overrides.mark = entry.key_mark;
    auto map = entry.value.map({"need", "ready", "timeout", "on_timeout"});
    if (auto need = map.get("need")) {
        overrides.need = need->size();
    }
    if (auto ready = map.get("ready")) {
        auto probe_map = ready->map(yaml::probe_keys());
        overrides.ready = yaml::read_probe(probe_map, false, nullptr);
    }
    if (auto timeout = map.get("timeout")) {
        overrides.timeout = timeout->duration(Millis{1});
    }
    if (auto on_timeout = map.get("on_timeout")) {
        overrides.on_timeout = on_timeout->choice<OnTimeout>(k_on_timeout);
    }
    return overrides;
}

void read_services(const Field& field, StartupConfig& out) {
    for (const auto& item : field.list()) {
        out.services.push_back(item.string());
        out.service_marks.push_back(item.mark());
    }
}

// The pacing keys of startup: (gate, concurrency, timeouts).
void read_startup_pacing(const yaml::MapReader& map, StartupConfig& out) {
    if (auto gate = map.get("gate")) {
        out.gate = gate->choice<Gate>(k_gates);
    }
    if (auto sleep = map.get("sleep")) {
        out.sleep = sleep->duration(Millis{0});
    }
    if (auto concurrency = map.get("concurrency")) {
        out.concurrency = read_concurrency(*concurrency);
    }
    if (auto max = map.get("max_concurrency")) {
        out.max_concurrency = static_cast<int>(max->integer(1, 1000));
    }
    if (auto quiet = map.get("quiet")) {
        // 0% could never pass: a running process always uses some CPU.
        out.quiet = quiet->percentage(0.001, 100.0);
    }
    if (auto poll = map.get("poll")) {
        out.poll = poll->duration(Millis{1});
    }
    if (auto timeout = map.get("timeout")) {
        out.timeout = timeout->duration(Millis{1});
    }
    if (auto on_timeout = map.get("on_timeout")) {
        out.on_timeout = on_timeout->choice<OnTimeout>(k_on_timeout);
    }
}

// The memory keys of startup:.
void read_startup_memory(const yaml::MapReader& map, StartupConfig& out) {
    if (auto source = map.get("memory_source")) {
        out.memory_source = read_memory_source(*source);
        out.memory_source_mark = source->mark();
    }
    if (auto reserve = map.get("reserve")) {
        out.reserve = reserve->memory_amount();
    }
    if (auto need = map.get("default_need")) {
        out.default_need = need->size();
    }
    if (auto settle = map.get("settle")) {
        out.settle = settle->duration(Millis{1});
    }
    if (auto psi = map.get("psi")) {
        out.psi = psi->number(0.0, 100.0);
    }
    if (auto margin = map.get("learn_margin")) {
        out.learn_margin = margin->percentage(0.0, 100.0);
    }
}

Check read_check(const Field& item) {
    std::vector<std::string> keys = yaml::probe_keys();
    keys.insert(keys.begin(), "service");
    auto map = item.map(keys);
    Field service = map.require("service");
    Check check;
    check.service = service.string();
    check.mark = service.mark();
    check.probe = yaml::read_probe(map, true, &check.implicit);
    return check;
}

}  // namespace

void read_startup_section(const Field& field, StartupConfig& out) {
    auto map = field.map({"services", "gate", "sleep", "concurrency", "max_concurrency", "quiet",
                          "memory_source", "reserve", "default_need", "settle", "learn_margin",
                          "psi", "poll", "timeout", "on_timeout", "per_service"});
    if (auto services = map.get("services")) {
        read_services(*services, out);
    }
    read_startup_pacing(map, out);
    read_startup_memory(map, out);
    if (auto per_service = map.get("per_service")) {
        const auto services = per_service->map({});
        for (const auto& entry : services.entries()) {
            out.per_service[entry.name] = read_overrides(entry);
        }
    }
}

void read_validate_section(const Field& field, ValidateConfig& out) {
    auto map = field.map({"timeout", "interval", "stable", "checks"});
    if (auto timeout = map.get("timeout")) {
        out.timeout = timeout->duration(Millis{1});
    }
    if (auto interval = map.get("interval")) {
        out.interval = interval->duration(Millis{1});
    }
    if (auto stable = map.get("stable")) {
        out.stable = stable->duration(Millis{0});
    }
    if (auto checks = map.get("checks")) {
        for (const auto& item : checks->list()) {
            out.checks.push_back(read_check(item));
        }
    }
    // A check must hold for `stable` within `timeout`, so stable >= timeout can never pass.
    if (out.stable >= out.timeout) {
        auto at = map.get("stable") ? map.get("stable") : map.get("timeout");
        at->fail("validate.stable (" + format_duration(out.stable) +
                 ") must be shorter than validate.timeout (" + format_duration(out.timeout) +
                 "), or no check can ever pass");
    }
}

}  // namespace stagehand::core::load
