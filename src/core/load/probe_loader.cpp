#include "core/load/probe_loader.hpp"

#include <array>
#include <charconv>
#include <regex>

#include "core/load/address.hpp"

namespace stagehand::core::yaml {
namespace {

constexpr std::array<Choice<ProbeKind>, 6> k_kinds{{
    {"http", ProbeKind::http},
    {"tcp", ProbeKind::tcp},
    {"healthy", ProbeKind::healthy},
    {"running", ProbeKind::running},
    {"log", ProbeKind::log},
    {"command", ProbeKind::command},
}};

constexpr std::size_t k_max_regex = 1024;
// std::regex (libstdc++) expands counted repetition into NFA states, so "a{99999999}" would
// exhaust memory. The product of all counts bounds the expansion, nesting included.
constexpr unsigned long k_max_repetition_product = 100000;

// "200", "200-299" or "2xx" -> an inclusive range of HTTP status codes.
std::pair<int, int> read_status(const Field& item) {
    std::string text = item.scalar("an HTTP status code like 200, a range like 200-299, or 2xx");
    auto number = [&](std::string_view part) {
        int value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec != std::errc() || end != part.data() + part.size() || value < 100 || value > 599) {
            item.fail("expected an HTTP status code 100-599, a range like 200-299, or 2xx, got " +
                      describe_found(item.node()));
        }
        return value;
    };
    if (text.size() == 3 && text[1] == 'x' && text[2] == 'x') {
        int hundreds = number(text.substr(0, 1) + "00");
        return {hundreds, hundreds + 99};
    }
    std::size_t dash = text.find('-');
    if (dash == std::string::npos) {
        int code = number(text);
        return {code, code};
    }
    int low = number(std::string_view(text).substr(0, dash));
    int high = number(std::string_view(text).substr(dash + 1));
    if (low > high) {
        item.fail("a status range goes from low to high, got " + describe_found(item.node()));
    }
    return {low, high};
}

std::vector<std::pair<int, int>> read_statuses(const Field& field) {
    std::vector<std::pair<int, int>> ranges;
    if (field.node().IsSequence()) {
        for (const auto& item : field.list()) {
            ranges.push_back(read_status(item));
        }
        if (ranges.empty()) {
            field.fail("expected at least one status code, got an empty list");
        }
    } else {
        ranges.push_back(read_status(field));
    }
    return ranges;
}

void check_repetitions(const Field& field, const std::string& pattern) {
    unsigned long product = 1;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\') {
            ++i;
            continue;
        }
        if (pattern[i] != '{') {
            continue;
        }
        // Every number inside {m}, {m,} or {m,n} counts.
        for (std::size_t j = i + 1; j < pattern.size() && pattern[j] != '}'; ++j) {
            unsigned long count = 0;
            while (j < pattern.size() && pattern[j] >= '0' && pattern[j] <= '9') {
                count = std::min(count * 10 + static_cast<unsigned long>(pattern[j] - '0'),
                                 k_max_repetition_product + 1);
                ++j;
            }
            product *= std::max(count, 1UL);
            if (product > k_max_repetition_product) {
                field.fail(
                    "regular expression repeats too much (counted repetitions "
                    "multiply to more than 100000)");
            }
            if (j >= pattern.size() || pattern[j] == '}') {
                break;
            }
        }
    }
}

std::string read_regex(const Field& field) {
    std::string pattern = field.string();
    if (pattern.size() > k_max_regex) {
        field.fail("regular expression is longer than 1024 characters");
    }
    check_repetitions(field, pattern);
    try {
        std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        field.fail("invalid regular expression (ECMAScript syntax): " + std::string(e.what()));
    }
    return pattern;
}

std::vector<std::string> read_argv(const Field& field) {
    if (!field.node().IsSequence()) {
        field.fail(
            "expected a list of strings like [\"curl\", \"-fsS\", \"http://x/\"] (no "
            "shell), got " +
            describe_found(field.node()));
    }
    std::vector<std::string> argv;
    for (const auto& item : field.list()) {
        argv.push_back(item.scalar("a string"));
    }
    if (argv.empty() || argv.front().empty()) {
        field.fail("expected a non-empty command list with the program first");
    }
    return argv;
}

void require_true(const Field& field) {
    if (!field.boolean()) {
        field.fail("expected true (leave the probe out instead of setting it to false)");
    }
}

// The one kind key in the map, or nullopt.
std::optional<MapReader::Entry> find_kind(const MapReader& map) {
    std::optional<MapReader::Entry> found;
    for (const auto& entry : map.entries()) {
        bool is_kind = std::any_of(k_kinds.begin(), k_kinds.end(),
                                   [&](const auto& k) { return k.name == entry.name; });
        if (!is_kind) {
            continue;
        }
        if (found) {
            map.self().source().fail(entry.key_mark, entry.value.key(),
                                     "a probe has exactly one kind, found both `" + found->name +
                                         "` and `" + entry.name + "`");
        }
        found = entry;
    }
    return found;
}

void read_kind_value(Probe& probe, const Field& value) {
    switch (probe.kind) {
        case ProbeKind::http: {
            auto target = parse_http_url(value.string());
            if (!target) {
                value.fail(target.error().message);
            }
            probe.http = *target;
            probe.status_ranges = {{200, 399}};
            break;
        }
        case ProbeKind::tcp: {
            auto target = parse_host_port(value.string(), 0);
            if (!target) {
                value.fail(target.error().message);
            }
            probe.tcp = *target;
            break;
        }
        case ProbeKind::healthy:
        case ProbeKind::running:
            require_true(value);
            break;
        case ProbeKind::log:
            probe.log_regex = read_regex(value);
            break;
        case ProbeKind::command:
            probe.argv = read_argv(value);
            break;
    }
}

}  // namespace

std::vector<std::string> probe_keys() {
    return {"http", "tcp", "healthy", "running", "log", "command", "status", "body", "timeout"};
}

Probe read_probe(const MapReader& map, bool allow_none, bool* defaulted) {
    Probe probe;
    probe.mark = map.self().mark();
    auto kind = find_kind(map);
    if (!kind) {
        if (!allow_none) {
            map.self().fail("expected a probe: one of http, tcp, healthy, running, log, command");
        }
        if (defaulted != nullptr) {
            *defaulted = true;
        }
    } else {
        for (const auto& k : k_kinds) {
            probe.kind = k.name == kind->name ? k.value : probe.kind;
        }
        read_kind_value(probe, kind->value);
    }
    for (const char* http_only : {"status", "body"}) {
        auto entry = map.get(http_only);
        if (entry && probe.kind != ProbeKind::http) {
            entry->fail(std::string("`") + http_only + "` applies only to http probes");
        }
    }
    if (auto status = map.get("status")) {
        probe.status_ranges = read_statuses(*status);
    }
    if (auto body = map.get("body")) {
        probe.body = body->string();
    }
    if (auto timeout = map.get("timeout")) {
        probe.timeout = timeout->duration(Millis{1});
    }
    return probe;
}

}  // namespace stagehand::core::yaml
