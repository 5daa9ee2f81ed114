#include "os/docker/engine_json.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace stagehand::os {

using nlohmann::json;

namespace {

constexpr std::size_t k_pull_summary_lines = 8;

// Never throws: invalid text becomes a "discarded" value.
json parse(std::string_view text) {
    return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

const json* member(const json& j, std::string_view key) {
    if (!j.is_object()) {
        return nullptr;
    }
    const auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
}

const json& object_at(const json& j, std::string_view key) {
    static const json k_empty = json::object();
    const json* m = member(j, key);
    return m != nullptr && m->is_object() ? *m : k_empty;
}

std::string string_at(const json& j, std::string_view key) {
    const json* m = member(j, key);
    return m != nullptr && m->is_string() ? m->get<std::string>() : std::string();
}

bool bool_at(const json& j, std::string_view key) {
    const json* m = member(j, key);
    return m != nullptr && m->is_boolean() && m->get<bool>();
}

long long int64_at(const json& j, std::string_view key) {
    const json* m = member(j, key);
    if (m == nullptr) {
        return 0;
    }
    if (m->is_number_unsigned()) {
        const auto u = m->get<std::uint64_t>();
        return u > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())
                   ? std::numeric_limits<long long>::max()
                   : static_cast<long long>(u);
    }
    return m->is_number_integer() ? m->get<long long>() : 0;
}

int int_at(const json& j, std::string_view key) {
    const long long v = int64_at(j, key);
    return static_cast<int>(
        std::clamp<long long>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

std::vector<std::string> strings_at(const json& j, std::string_view key) {
    std::vector<std::string> out;
    const json* m = member(j, key);
    if (m != nullptr && m->is_array()) {
        for (const auto& item : *m) {
            if (item.is_string()) {
                out.push_back(item.get<std::string>());
            }
        }
    }
    return out;
}

// The first attached network's address (Go sorts map keys, and so does nlohmann::json, so
// "first" is stable). Empty with network_mode: host, and for a stopped container.
std::string first_address(const json& networks) {
    for (const auto& [name, network] : networks.items()) {
        const std::string address = string_at(network, "IPAddress");
        if (!address.empty()) {
            return address;
        }
    }
    return {};
}

// What inspect and the list both carry the same way: the compose labels, and HostConfig /
// NetworkSettings at the top of `container`.
void read_compose_facts(const json& labels, const json& container, ContainerState& c) {
    c.service = string_at(labels, "com.docker.compose.service");
    c.config_hash = string_at(labels, "com.docker.compose.config-hash");
    c.host_network = string_at(object_at(container, "HostConfig"), "NetworkMode") == "host";
    if (!c.host_network) {
        c.ip_address =
            first_address(object_at(object_at(container, "NetworkSettings"), "Networks"));
    }
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

}  // namespace

util::Result<ContainerState> parse_container_inspect(std::string_view text) {
    const json j = parse(text);
    if (!j.is_object()) {
        return util::Error{"unexpected container inspect answer from Docker: not a JSON object"};
    }
    ContainerState c;
    c.id = string_at(j, "Id");
    if (c.id.empty()) {
        return util::Error{"unexpected container inspect answer from Docker: no Id"};
    }
    c.name = string_at(j, "Name");
    if (!c.name.empty() && c.name.front() == '/') {
        c.name.erase(0, 1);
    }
    const json& state = object_at(j, "State");
    c.status = string_at(state, "Status");
    c.running = bool_at(state, "Running");
    c.restarting = bool_at(state, "Restarting");
    c.oom_killed = bool_at(state, "OOMKilled");
    c.exit_code = int_at(state, "ExitCode");
    c.pid = int_at(state, "Pid");
    c.health = string_at(object_at(state, "Health"), "Status");
    c.started_at = string_at(state, "StartedAt");
    c.finished_at = string_at(state, "FinishedAt");
    c.restart_count = int_at(j, "RestartCount");
    const json& config = object_at(j, "Config");
    c.image = string_at(config, "Image");
    c.image_id = string_at(j, "Image");
    read_compose_facts(object_at(config, "Labels"), j, c);
    return c;
}

util::Result<std::vector<ContainerState>> parse_container_list(std::string_view text) {
    const json j = parse(text);
    if (!j.is_array()) {
        return util::Error{"unexpected container list answer from Docker: not a JSON array"};
    }
    std::vector<ContainerState> containers;
    for (const auto& item : j) {
        ContainerState c;
        c.id = string_at(item, "Id");
        if (c.id.empty()) {
            continue;
        }
        const auto names = strings_at(item, "Names");
        if (!names.empty()) {
            c.name = names.front().substr(names.front().rfind('/') + 1);
        }
        c.status = string_at(item, "State");
        c.running = c.status == "running";
        c.restarting = c.status == "restarting";
        c.image = string_at(item, "Image");
        read_compose_facts(object_at(item, "Labels"), item, c);
        containers.push_back(std::move(c));
    }
    return containers;
}

std::optional<DockerEvent> parse_event(std::string_view line) {
    const json j = parse(line);
    if (!j.is_object() || string_at(j, "Type") != "container") {
        return std::nullopt;
    }
    DockerEvent event;
    const std::string action = string_at(j, "Action");
    const auto colon = action.find(':');
    event.action = action.substr(0, colon);
    if (colon != std::string::npos && event.action == "health_status") {
        event.health = trimmed(std::string_view(action).substr(colon + 1));
    }
    const json& actor = object_at(j, "Actor");
    event.container_id = string_at(actor, "ID");
    if (event.action.empty() || event.container_id.empty()) {
        return std::nullopt;
    }
    const json& attributes = object_at(actor, "Attributes");
    event.service = string_at(attributes, "com.docker.compose.service");
    const std::string exit_code = string_at(attributes, "exitCode");
    int code = 0;
    const char* end = exit_code.data() + exit_code.size();
    if (!exit_code.empty()) {
        const auto [ptr, ec] = std::from_chars(exit_code.data(), end, code);
        if (ec == std::errc() && ptr == end) {
            event.exit_code = code;
        }
    }
    event.time_nano = int64_at(j, "timeNano");
    return event;
}

std::string parse_error_message(std::string_view body) {
    const json j = parse(body);
    std::string message = string_at(j, "message");
    if (!message.empty()) {
        return message;
    }
    std::string raw = trimmed(body);
    if (raw.size() > 500) {
        raw.resize(500);
    }
    return raw;
}

util::Result<std::vector<std::string>> parse_repo_digests(std::string_view text) {
    const json j = parse(text);
    if (!j.is_object()) {
        return util::Error{"unexpected image inspect answer from Docker: not a JSON object"};
    }
    return strings_at(j, "RepoDigests");
}

util::Result<std::vector<std::pair<std::string, std::string>>> parse_image_list(
    std::string_view text) {
    const json j = parse(text);
    if (!j.is_array()) {
        return util::Error{"unexpected image list answer from Docker: not a JSON array"};
    }
    std::vector<std::pair<std::string, std::string>> images;
    for (const auto& item : j) {
        const std::string id = string_at(item, "Id");
        if (id.empty()) {
            continue;
        }
        std::vector<std::string> refs = strings_at(item, "RepoTags");
        // Docker before 1.41 listed untagged images as "<none>:<none>".
        std::erase(refs, std::string("<none>:<none>"));
        if (refs.empty()) {
            refs = strings_at(item, "RepoDigests");
            std::erase(refs, std::string("<none>@<none>"));
        }
        if (refs.empty()) {
            refs.emplace_back();
        }
        for (auto& ref : refs) {
            images.emplace_back(std::move(ref), id);
        }
    }
    return images;
}

void PullProgress::feed(std::string_view data) {
    m_lines.feed(data, [this](std::string_view line) { on_line(line); });
}

void PullProgress::finish() {
    m_lines.finish([this](std::string_view line) { on_line(line); });
}

void PullProgress::on_line(std::string_view line) {
    const json j = parse(line);
    if (!j.is_object()) {
        return;
    }
    // errorDetail.message carries the registry's text; "error" repeats it (older daemons
    // sent only "error").
    std::string error = string_at(object_at(j, "errorDetail"), "message");
    if (error.empty()) {
        error = string_at(j, "error");
    }
    if (!error.empty()) {
        if (!m_error) {
            m_error = std::move(error);
        }
        return;
    }
    const std::string status = string_at(j, "status");
    constexpr std::string_view k_digest = "Digest: ";
    if (status.starts_with(k_digest)) {
        m_digest = trimmed(std::string_view(status).substr(k_digest.size()));
    }
    // Per-layer lines (they carry an "id" of 12 hex digits, or progress) are noise here.
    const bool layer = member(j, "progressDetail") != nullptr || string_at(j, "id").size() == 12;
    if (status.empty() || layer || (!m_status.empty() && m_status.back() == status)) {
        return;
    }
    m_status.push_back(status);
    if (m_status.size() > k_pull_summary_lines) {
        m_status.pop_front();
    }
}

std::string PullProgress::summary() const {
    std::string out;
    for (const auto& line : m_status) {
        if (!out.empty()) {
            out += '\n';
        }
        out += line;
    }
    return out;
}

std::string demultiplex_logs(std::string_view raw) {
    constexpr std::size_t k_header = 8;
    std::string payload;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        if (raw.size() - pos < k_header) {
            return std::string(raw);
        }
        const auto* h = reinterpret_cast<const unsigned char*>(raw.data() + pos);
        if (h[0] > 2 || h[1] != 0 || h[2] != 0 || h[3] != 0) {
            return std::string(raw);
        }
        const std::size_t size = (std::size_t{h[4]} << 24) | (std::size_t{h[5]} << 16) |
                                 (std::size_t{h[6]} << 8) | std::size_t{h[7]};
        if (size > raw.size() - pos - k_header) {
            return std::string(raw);
        }
        payload.append(raw.substr(pos + k_header, size));
        pos += k_header + size;
    }
    return payload;
}

namespace {

// Reads exactly `width` decimal digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::optional<UnixTime> parse_rfc3339(std::string_view text) {
    // 2026-11-25T16:42:45.484559288Z
    // 0123456789012345678
    const auto y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
    const auto h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
    if (!y || !mo || !d || !h || !mi || !s || text.size() < 20 || text[4] != '-' ||
        text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
        text[16] != ':' || *h > 23 || *mi > 59 || *s > 60) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*y),
                                           std::chrono::month(static_cast<unsigned>(*mo)),
                                           std::chrono::day(static_cast<unsigned>(*d))};
    if (!date.ok()) {
        return std::nullopt;
    }
    UnixTime t;
    t.seconds = std::chrono::sys_days(date).time_since_epoch().count() * 86400LL + *h * 3600LL +
                *mi * 60LL + *s;
    std::size_t pos = 19;
    if (text[pos] == '.') {
        long scale = 100'000'000;
        for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
            t.nanos += (text[pos] - '0') * scale;
            scale /= 10;
        }
    }
    const std::string_view zone = text.substr(pos);
    if (zone == "Z" || zone == "z") {
        return t;
    }
    const auto zh = digits(zone, 1, 2), zm = digits(zone, 4, 2);
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || !zh || !zm) {
        return std::nullopt;
    }
    const long long offset = *zh * 3600LL + *zm * 60LL;
    t.seconds += zone[0] == '+' ? -offset : offset;
    return t;
}

std::vector<std::string> split_log_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.emplace_back(line);
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
    return lines;
}

}  // namespace stagehand::os
