// The validate step's plan building and its end-of-run text: the per-check failure lines and
// the verdict, sized for the ~2 KB of output the CodeDeploy console shows.
#include <algorithm>
#include <cstdio>

#include "core/load/units.hpp"
#include "steps/validate/validate.hpp"
#include "steps/validate/validate_text.hpp"
#include "util/sanitize.hpp"
#include "util/units_text.hpp"

namespace stagehand::steps {

namespace {

constexpr std::size_t k_max_header = 300;  // one failing check's line
constexpr std::size_t k_max_item = 200;    // one failing check in the verdict
constexpr std::size_t k_log_lines_shown = 10;
// Above this, the verdict names probes by kind only: the FAIL lines above carry the details.
constexpr std::size_t k_compact_verdict = 400;

bool failing(const CheckOutcome& c) {
    return !c.passed && c.failure != CheckFailure::aborted;
}

bool failed_at_once(const CheckOutcome& c) {
    return c.failure == CheckFailure::crashed || c.failure == CheckFailure::oom_killed;
}

// The verdict's words for one failing check; `compact` names the probe by its kind only.
std::string verdict_item(const CheckOutcome& c, bool compact) {
    if (failed_at_once(c) && c.oom.kind != core::OomKind::none) {
        return core::describe_exit(c.service, c.oom, c.container.exit_code);
    }
    if (failed_at_once(c) && c.has_container) {
        return c.service + " " + describe_state(c.container);
    }
    return c.service + " " + (compact ? core::to_string(c.kind) : c.description) + ": " + c.error;
}

std::vector<std::string> verdict_items(const ValidateOutcome& outcome, bool compact) {
    std::vector<std::string> items;
    for (const auto& c : outcome.checks) {
        if (!failing(c)) {
            continue;
        }
        std::string item = util::sanitize_line(verdict_item(c, compact), k_max_item);
        if (std::find(items.begin(), items.end(), item) == items.end()) {
            items.push_back(std::move(item));
        }
    }
    if (items.empty()) {
        items.push_back("no check passed");  // only when every check was aborted
    }
    return items;
}

std::string state_line(const CheckOutcome& c) {
    const os::ContainerState& s = c.container;
    return "  " + c.service + " state: " + (s.status.empty() ? "unknown" : s.status) +
           ", exit code " + std::to_string(s.exit_code) + ", OOMKilled " +
           (s.oom_killed ? "yes" : "no") + ", restarts " + std::to_string(s.restart_count);
}

struct Group {
    std::string header;
    std::string state;  // empty: none (no container, or shown with an earlier check)
    std::vector<std::string> logs;
};

std::vector<Group> failure_groups(const ValidateOutcome& outcome) {
    std::vector<Group> groups;
    std::vector<std::string> shown;  // services whose state and logs are printed already
    for (const auto& c : outcome.checks) {
        if (!failing(c)) {
            continue;
        }
        Group g;
        g.header = util::sanitize_line("FAIL " + c.service + " " + c.description + ": " + c.error +
                                           " (after " + short_duration(c.elapsed) + ", " +
                                           std::to_string(c.attempts) + " attempts)",
                                       k_max_header);
        const bool first = std::find(shown.begin(), shown.end(), c.service) == shown.end();
        if (first && c.has_container) {
            shown.push_back(c.service);
            g.state = state_line(c);
            for (const auto& line : c.log_tail) {
                g.logs.push_back(util::sanitize_line("  " + c.service + " | " + line, 240));
            }
        }
        groups.push_back(std::move(g));
    }
    return groups;
}

std::string unsettled_line(const ValidateOutcome& outcome) {
    std::string names;
    for (const auto& c : outcome.checks) {
        if (c.failure == CheckFailure::aborted) {
            names += (names.empty() ? "" : ", ") + c.service + " " + c.description;
        }
    }
    return names.empty()
               ? names
               : util::sanitize_line("not settled when validation stopped: " + names, k_max_header);
}

// Lines of the groups, keeping at most `logs` log lines per group (the latest ones).
std::vector<std::string> flatten(const std::vector<Group>& groups, std::size_t logs, bool states) {
    std::vector<std::string> lines;
    for (const auto& g : groups) {
        lines.push_back(g.header);
        if (states && !g.state.empty()) {
            lines.push_back(g.state);
        }
        const std::size_t skip = g.logs.size() > logs ? g.logs.size() - logs : 0;
        lines.insert(lines.end(), g.logs.begin() + static_cast<std::ptrdiff_t>(skip), g.logs.end());
    }
    return lines;
}

std::size_t size_of(const std::vector<std::string>& lines) {
    std::size_t total = 0;
    for (const auto& line : lines) {
        total += line.size() + 1;  // newline
    }
    return total;
}

}  // namespace

std::string short_duration(core::Millis duration) {
    const long long ms = std::max<long long>(duration.count(), 0);
    if (ms < 60'000) {
        // Cut to tenths, not rounded: 59.95 s must not read "60.0s" (a minute says "1m0s").
        return util::format_seconds(core::Millis{ms / 100 * 100});
    }
    return core::format_duration(core::Millis{ms / 1000 * 1000});
}

const char* to_string(CheckFailure failure) {
    switch (failure) {
        case CheckFailure::none:
            return "none";
        case CheckFailure::crashed:
            return "crashed";
        case CheckFailure::oom_killed:
            return "oom_killed";
        case CheckFailure::timed_out:
            return "timed_out";
        case CheckFailure::deadline:
            return "deadline";
        case CheckFailure::cancelled:
            return "cancelled";
        case CheckFailure::aborted:
            return "aborted";
    }
    return "?";
}

ValidatePlan plan_validate(const core::ValidateConfig& config, std::string project,
                           const std::vector<ValidatedService>& services) {
    ValidatePlan plan{std::move(project), {}, config.timeout, config.interval, config.stable};
    auto find = [&](const std::string& name) {
        return std::find_if(services.begin(), services.end(),
                            [&](const ValidatedService& s) { return s.name == name; });
    };
    for (const auto& check : config.checks) {
        const auto it = find(check.service);
        if (it != services.end()) {
            plan.checks.push_back(
                ValidateCheck{check.service, check.probe, false, it->has_healthcheck});
        }
    }
    // The baseline always runs, configured checks or not (SPEC section 7): an operator who
    // lists checks for the HTTP-facing services still expects a dead worker to fail.
    const auto add_baseline = [&](const ValidatedService& service, core::ProbeKind kind) {
        const bool configured =
            std::any_of(plan.checks.begin(), plan.checks.end(), [&](const ValidateCheck& c) {
                return c.service == service.name && c.probe.kind == kind;
            });
        if (!configured) {
            core::Probe probe;
            probe.kind = kind;
            plan.checks.push_back(
                ValidateCheck{service.name, probe, true, service.has_healthcheck});
        }
    };
    for (const auto& service : services) {
        add_baseline(service, core::ProbeKind::running);
        if (service.has_healthcheck) {
            add_baseline(service, core::ProbeKind::healthy);
        }
    }
    return plan;
}

std::string validate_verdict(const ValidateOutcome& outcome, std::size_t max_bytes) {
    if (outcome.passed) {
        const CheckOutcome* slowest = nullptr;
        for (const auto& c : outcome.checks) {
            if (slowest == nullptr || c.elapsed > slowest->elapsed) {
                slowest = &c;
            }
        }
        std::string text = "OK: validate: " + std::to_string(outcome.checks.size()) +
                           (outcome.checks.size() == 1 ? " check" : " checks") + " held " +
                           core::format_duration(outcome.stable);
        if (slowest != nullptr) {
            text += " (slowest: " + slowest->service + " " + slowest->description + " after " +
                    short_duration(slowest->elapsed) + ")";
        }
        return util::sanitize_line(text, max_bytes);
    }
    std::string prefix = "FAILED: validate: ";
    if (outcome.cancelled) {
        prefix = "INTERRUPTED: validate: ";
    } else if (outcome.deadline_passed) {
        prefix = "FAILED: validate: deadline passed: ";
    }
    std::vector<std::string> items = verdict_items(outcome, false);
    std::size_t length = prefix.size();
    for (const auto& item : items) {
        length += item.size() + 2;
    }
    if (length > k_compact_verdict) {
        items = verdict_items(outcome, true);
    }
    std::string text = prefix;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string more = "; and " + std::to_string(items.size() - i) + " more";
        const std::string sep = i == 0 ? "" : "; ";
        const bool last = i + 1 == items.size();
        if (text.size() + sep.size() + items[i].size() + (last ? 0 : more.size()) > max_bytes) {
            text += i == 0 ? items[i] : more;
            break;
        }
        text += sep + items[i];
    }
    return util::sanitize_line(text, max_bytes);
}

std::vector<std::string> render_validate_summary(const ValidateOutcome& outcome,
                                                 std::size_t max_bytes) {
    const std::string verdict = validate_verdict(outcome, std::min<std::size_t>(900, max_bytes));
    if (outcome.passed) {
        return {verdict};
    }
    const auto groups = failure_groups(outcome);
    const std::string unsettled = unsettled_line(outcome);
    const std::size_t fixed = verdict.size() + 1 + (unsettled.empty() ? 0 : unsettled.size() + 1);
    std::vector<std::string> lines;
    // Drop log lines first (keeping each service's latest), then the state lines.
    for (std::size_t logs = k_log_lines_shown;; --logs) {
        lines = flatten(groups, logs, true);
        if (size_of(lines) + fixed <= max_bytes || logs == 0) {
            break;
        }
    }
    if (size_of(lines) + fixed > max_bytes) {
        lines = flatten(groups, 0, false);
    }
    if (!unsettled.empty()) {
        lines.push_back(unsettled);
    }
    // Still too long (very many failing checks): keep the first headers that fit.
    while (!lines.empty() && size_of(lines) + verdict.size() + 1 > max_bytes) {
        lines.pop_back();
    }
    lines.push_back(verdict);
    return lines;
}

}  // namespace stagehand::steps
