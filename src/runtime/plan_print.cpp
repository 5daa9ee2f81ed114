#include "runtime/plan_print.hpp"

#include <unistd.h>

#include "core/gate/gate.hpp"
#include "core/load/units.hpp"
#include "util/sanitize.hpp"

namespace stagehand::runtime {

namespace {

void write_out(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(1, text.data() + done, text.size() - done);
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

// The plan echoes input (service and image names, paths): every string, key or value, is
// made one printable line before it is printed, text or JSON (a compose image name with an
// escape sequence or invalid UTF-8 otherwise goes out raw, or aborts json.dump()).
nlohmann::ordered_json sanitized(const nlohmann::ordered_json& json) {
    constexpr std::size_t k_value_bytes = 600;
    if (json.is_string()) {
        return util::sanitize_line(json.get_ref<const std::string&>(), k_value_bytes);
    }
    if (json.is_array()) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& item : json) {
            out.push_back(sanitized(item));
        }
        return out;
    }
    if (json.is_object()) {
        nlohmann::ordered_json out = nlohmann::ordered_json::object();
        for (const auto& [key, value] : json.items()) {
            out[util::sanitize_line(key, k_value_bytes)] = sanitized(value);
        }
        return out;
    }
    return json;
}

std::string conditions(const core::StartPlan& plan, const core::ServicePlan& service) {
    if (plan.gate == core::Gate::none) {
        return "no wait";
    }
    if (plan.gate == core::Gate::sleep) {
        return "sleep " + core::format_duration(plan.sleep) + " after the previous start";
    }
    std::string text;
    for (const auto& dep : service.depends_on) {
        text +=
            dep.service + (dep.condition == core::DependsCondition::service_completed_successfully
                               ? " completed, "
                               : " ready, ");
    }
    text += "memory " + core::format_mib(service.need) + " (" +
            core::to_string(service.need_source) + ") + reserve";
    return text;
}

// "inferred: listening on 8080 and CPU quiet (< 10% of one CPU for 1s)"
std::string ready_by_text(const core::StartPlan& plan, const core::ServicePlan& service) {
    if (service.ready) {
        return core::describe(*service.ready);
    }
    if (service.ready_by != core::ReadySignal::inferred) {
        return core::to_string(service.ready_by);
    }
    const std::string quiet =
        "CPU under " + std::to_string(static_cast<int>(plan.quiet)) + "% of one CPU for 1s";
    if (service.ports.empty()) {
        return "inferred: listening on some port and " + quiet + ", or " + quiet +
               " and memory settled";
    }
    std::string ports;
    for (const auto port : service.ports) {
        ports += (ports.empty() ? "" : " ") + std::to_string(port);
    }
    return "inferred: listening on " + ports + " and " + quiet;
}

void print_text(const nlohmann::ordered_json& json, const std::string& indent) {
    for (const auto& [key, value] : json.items()) {
        if (value.is_object()) {
            write_out(indent + key + ":\n");
            print_text(value, indent + "  ");
        } else if (value.is_array()) {
            write_out(indent + key + ":\n");
            for (const auto& item : value) {
                if (item.is_object()) {
                    std::string line;
                    for (const auto& [k, v] : item.items()) {
                        line += (line.empty() ? "" : ", ") + k + " " +
                                (v.is_string() ? v.get<std::string>() : v.dump());
                    }
                    write_out(indent + "  - " + line + "\n");
                } else {
                    write_out(indent + "  - " +
                              (item.is_string() ? item.get<std::string>() : item.dump()) + "\n");
                }
            }
        } else {
            write_out(indent + key + ": " +
                      (value.is_string() ? value.get<std::string>() : value.dump()) + "\n");
        }
    }
}

}  // namespace

nlohmann::ordered_json plan_header(const HookEnv& env, const std::string& hook) {
    const auto& inputs = env.inputs;
    nlohmann::ordered_json header = {
        {"hook", hook},
        {"bundle", inputs.bundle.root},
        {"config", inputs.config_found ? inputs.config.path : "(none: all defaults)"},
        {"compose_file", inputs.compose.path},
        {"project", inputs.project + " (" + inputs.project_source + ")"},
        {"deadline", core::format_duration(env.deadline_choice.budget) + " (" +
                         env.deadline_choice.source + ")"},
        {"state_dir", inputs.config.state_dir},
        {"log_dir", inputs.config.log_dir}};
    if (!env.deadline_choice.warning.empty()) {
        header["deadline_warning"] = env.deadline_choice.warning;
    }
    return header;
}

nlohmann::ordered_json start_plan_json(const core::StartPlan& plan, const core::PullConfig& pull) {
    nlohmann::ordered_json services = nlohmann::ordered_json::array();
    int position = 1;
    for (const auto& service : plan.services) {
        nlohmann::ordered_json entry = {{"order", position++},
                                        {"service", service.name},
                                        {"image", service.image},
                                        {"need", core::format_mib(service.need) + " (" +
                                                     core::to_string(service.need_source) + ")"},
                                        {"ready_by", ready_by_text(plan, service)},
                                        {"timeout", core::format_duration(service.timeout)},
                                        {"gate", conditions(plan, service)}};
        services.push_back(entry);
    }
    const char* policies[] = {"always", "missing", "never"};
    return {{"pull",
             {{"policy", policies[static_cast<int>(pull.policy)]},
              {"parallel", pull.parallel},
              {"retries", pull.retries},
              {"timeout", core::format_duration(pull.timeout)},
              {"pin", pull.pin == core::PinMode::rollback ? "rollback" : "never"},
              {"keep", pull.keep}}},
            {"startup",
             {{"gate", core::to_string(plan.gate)},
              {"concurrency", plan.concurrency == core::k_concurrency_auto
                                  ? "auto (max " + std::to_string(plan.max_concurrency) + ")"
                                  : std::to_string(plan.concurrency)},
              {"quiet", std::to_string(static_cast<int>(plan.quiet)) + "%"},
              {"reserve", plan.reserve.is_percent
                              ? std::to_string(static_cast<int>(plan.reserve.percent)) + "%"
                              : core::format_mib(plan.reserve.bytes)},
              {"psi_limit", plan.psi},
              {"settle", core::format_duration(plan.settle)},
              {"poll", core::format_duration(plan.poll)},
              {"external_dependencies", plan.external_dependencies}}},
            {"start_order", services}};
}

void print_plan(const HookEnv& env, const nlohmann::ordered_json& plan) {
    const auto json = sanitized(plan);
    if (env.options.log_format == LogFormat::json) {
        write_out(json.dump() + "\n");
        return;
    }
    write_out("plan (dry run, nothing will be changed):\n");
    print_text(json, "  ");
}

}  // namespace stagehand::runtime
