// The probes that read a container (running, healthy, log) and the command probe.
#include <algorithm>
#include <regex>

#include "steps/probe/probe_runner.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {

namespace {

// libstdc++'s std::regex matches recursively: a very long line can exhaust the stack.
// Log lines that matter for readiness are short; only their start is searched.
constexpr std::size_t k_max_line_searched = 4096;

// The last non-empty line of a command's output, for the error message.
std::string last_line(const std::string& text) {
    std::size_t end = text.size();
    while (end > 0) {
        const std::size_t start = text.rfind('\n', end - 1);
        const std::size_t begin = start == std::string::npos ? 0 : start + 1;
        std::string_view line(text.data() + begin, end - begin);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
            return std::string(line);
        }
        if (start == std::string::npos) {
            break;
        }
        end = start;
    }
    return {};
}

}  // namespace

const os::ContainerState* service_container(const std::vector<os::ContainerState>& containers,
                                            std::string_view service) {
    const os::ContainerState* best = nullptr;
    for (const auto& c : containers) {
        if (c.service != service) {
            continue;
        }
        if (c.running && !c.restarting) {
            return &c;
        }
        // RFC 3339 timestamps from one daemon compare as strings.
        if (best == nullptr || c.restarting > best->restarting ||
            (c.restarting == best->restarting && c.started_at > best->started_at)) {
            best = &c;
        }
    }
    return best;
}

std::string describe_state(const os::ContainerState& c) {
    std::string text;
    if (c.restarting) {
        text = "restarting (last exit " + std::to_string(c.exit_code) + ")";
    } else if (c.status == "exited" || c.status == "dead") {
        text = c.status + " " + std::to_string(c.exit_code);
    } else {
        text = c.status.empty() ? (c.running ? "running" : "not running") : c.status;
    }
    if (c.oom_killed) {
        text += " (OOMKilled)";
    }
    if (c.restart_count > 0) {
        text += ", " + std::to_string(c.restart_count) +
                (c.restart_count == 1 ? " restart" : " restarts");
    }
    return text;
}

ProbeResult ProbeRunner::log(const os::ContainerState& container, const core::Probe& probe,
                             os::MonoTime deadline, const os::Cancel& cancel) {
    std::regex pattern;
    try {
        pattern = std::regex(probe.log_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        return ProbeResult{false, "invalid regex /" + probe.log_regex + "/: " + e.what()};
    }
    auto text = m_docker.logs_since_start(container.id, deadline, cancel);
    if (!text) {
        return ProbeResult{false, "docker: " + text.error().message};
    }
    std::string_view rest(*text);
    while (!rest.empty()) {
        const std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        line = line.substr(0, k_max_line_searched);
        if (std::regex_search(line.begin(), line.end(), pattern)) {
            return ProbeResult{true, ""};
        }
    }
    return ProbeResult{false, "no log line matches /" + probe.log_regex + "/"};
}

ProbeResult ProbeRunner::command(const core::Probe& probe, os::MonoTime deadline,
                                 const os::Cancel& cancel) {
    if (probe.argv.empty()) {
        return ProbeResult{false, "empty command"};
    }
    os::ProcessSpec spec;
    spec.argv = probe.argv;
    spec.max_output = 64 * 1024;
    auto outcome = m_runner.run(spec, deadline, cancel);
    if (!outcome) {
        return ProbeResult{false, outcome.error().message};
    }
    if (outcome->success()) {
        return ProbeResult{true, ""};
    }
    std::string error = probe.argv.front() + " " + outcome->describe();
    std::string detail = last_line(outcome->err);
    if (detail.empty()) {
        detail = last_line(outcome->out);
    }
    if (!detail.empty()) {
        error += ": " + util::sanitize_line(detail, 160);
    }
    return ProbeResult{false, error};
}

}  // namespace stagehand::steps
