#include "os/docker/cli_compose.hpp"
#include "os/docker/compose_plugin.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>

namespace stagehand::os {

namespace {

constexpr std::size_t k_error_lines = 10;
constexpr std::chrono::seconds k_probe_timeout{60};
// docker-compose v1 gives up on a daemon call after 60 s by default ("UnixHTTPConnectionPool
// Read timed out"), which a loaded 1 GiB host exceeds while a JVM starts; our own deadline
// bounds the whole run anyway.
constexpr const char* k_v1_http_timeout = "300";

// ECANCELED / ETIMEDOUT for a child that Cancel or the deadline ended (callers map them to
// 130/143 and 124 without reading the text), 0 for one that failed by itself.
int error_code_of(const ProcessOutcome& outcome) {
    return outcome.cancelled ? ECANCELED : outcome.timed_out ? ETIMEDOUT : 0;
}

// Docker's runtime refused to create or start a container ("OCI runtime create failed",
// "OCI runtime start failed"): a server error, as the Engine answers it with HTTP 500. Seen
// transient under memory pressure (runc's "read init-p: connection reset by peer").
bool refused_by_runtime(std::string_view why) {
    return why.find("OCI runtime ") != std::string_view::npos;
}

// Runs `<command> version --short`; fills `flavour` or returns why it does not work.
util::Status probe(const std::vector<std::string>& command, ProcessRunner& runner,
                   MonoTime deadline, const Cancel& cancel, ComposeFlavour& flavour,
                   const std::string& name = "") {
    ProcessSpec spec;
    spec.argv = command;
    spec.argv.insert(spec.argv.end(), {"version", "--short"});
    spec.max_output = 64 * 1024;
    const auto probe_deadline =
        std::min(deadline, std::chrono::steady_clock::now() + k_probe_timeout);
    auto outcome = runner.run(spec, probe_deadline, cancel);
    if (!outcome) {
        return outcome.error();
    }
    if (!outcome->success()) {
        std::string why = last_lines(outcome->err, 3);
        return util::Error{"`" + util::join(spec.argv, " ") + "` " + outcome->describe() +
                               (why.empty() ? "" : ": " + why),
                           error_code_of(*outcome)};
    }
    flavour.command = command;
    flavour.name = name.empty() ? util::join(command, " ") : name;
    if (!parse_compose_version(outcome->out, flavour)) {
        return util::Error{"`" + util::join(spec.argv, " ") +
                           "` printed no version we understand: " + last_lines(outcome->out, 1)};
    }
    return {};
}

// The plugin `docker compose` runs, run directly when it reports the same version (a
// different one is not the program the CLI picked, or not the same release): `flavour` then
// names it as its command and keeps "docker compose" as its name.
void run_plugin_directly(ComposeFlavour& flavour, const std::vector<std::string>& plugin_dirs,
                         ProcessRunner& runner, MonoTime deadline, const Cancel& cancel) {
    const auto plugin = find_compose_plugin(plugin_dirs);
    if (!plugin) {
        return;
    }
    ComposeFlavour direct;
    if (probe({*plugin}, runner, deadline, cancel, direct, flavour.name) &&
        direct.version == flavour.version) {
        flavour = direct;
    }
}

}  // namespace

bool parse_compose_version(std::string_view text, ComposeFlavour& flavour) {
    // `version --short` prints "2.26.1" (some v2 releases "v2.26.1"); take the first number.
    const auto start = text.find_first_of("0123456789");
    if (start == std::string_view::npos) {
        return false;
    }
    text.remove_prefix(start);
    const auto end = text.find_first_of(" ,\t\r\n");
    const std::string_view version = text.substr(0, end);
    int major = 0;
    int minor = 0;
    const char* p = version.data();
    const char* last = version.data() + version.size();
    auto r = std::from_chars(p, last, major);
    if (r.ec != std::errc() || r.ptr == last || *r.ptr != '.') {
        return false;
    }
    r = std::from_chars(r.ptr + 1, last, minor);
    if (r.ec != std::errc()) {
        return false;
    }
    flavour.version = std::string(version);
    flavour.major = major;
    flavour.minor = minor;
    return true;
}

std::vector<std::string> plain_output_flags(const ComposeFlavour& f) {
    if (f.major >= 2) {
        if (f.major > 2 || f.minor >= 19) {
            return {"--ansi", "never", "--progress", "plain"};
        }
        return {"--ansi", "never"};
    }
    if (f.major == 1 && f.minor >= 28) {
        return {"--ansi", "never"};
    }
    return {"--no-ansi"};
}

std::string last_lines(std::string_view text, std::size_t lines) {
    std::vector<std::string_view> kept;
    while (!text.empty() && kept.size() < lines) {
        const auto nl = text.find_last_of('\n', text.size() - 1);
        std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(0, nl);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            kept.push_back(line);
        }
    }
    std::string out;
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
        out += out.empty() ? "" : "\n";
        out += *it;
    }
    return out;
}

CliCompose::CliCompose(ComposeFlavour flavour, std::string project, std::string compose_file,
                       ProcessRunner& runner)
    : m_flavour(std::move(flavour)),
      m_project(std::move(project)),
      m_compose_file(std::move(compose_file)),
      m_runner(runner) {}

std::string CliCompose::describe() const {
    const std::string runs = util::join(m_flavour.command, " ");
    return m_flavour.name + " " + m_flavour.version +
           (runs == m_flavour.name ? "" : " (run as " + runs + ")");
}

std::vector<std::string> CliCompose::argv(const std::vector<std::string>& args) const {
    std::vector<std::string> out = m_flavour.command;
    const auto flags = plain_output_flags(m_flavour);
    out.insert(out.end(), flags.begin(), flags.end());
    out.insert(out.end(), {"-p", m_project, "-f", m_compose_file});
    out.insert(out.end(), args.begin(), args.end());
    return out;
}

util::Status CliCompose::run(const std::vector<std::string>& args, MonoTime deadline,
                             const Cancel& cancel) {
    ProcessSpec spec;
    spec.argv = argv(args);
    spec.cwd = std::filesystem::path(m_compose_file).parent_path().string();
    spec.max_output = 256 * 1024;
    if (m_flavour.major < 2) {
        spec.env.emplace_back("COMPOSE_HTTP_TIMEOUT", k_v1_http_timeout);
    }
    const std::string what = m_flavour.name + " " + util::join(args, " ");
    std::optional<util::Error> stopped_by;
    if (m_watchdog) {
        spec.watchdog = [&](std::chrono::milliseconds running) {
            auto verdict = m_watchdog(what, running);
            if (verdict) {
                return std::string();
            }
            stopped_by = verdict.error();
            return verdict.error().message;
        };
    }
    auto outcome = m_runner.run(spec, deadline, cancel);
    if (!outcome) {
        return util::Error{what + ": " + outcome.error().message, outcome.error().code};
    }
    if (outcome->success()) {
        return {};
    }
    if (!outcome->stopped.empty() && stopped_by) {
        return *stopped_by;  // e.g. the daemon compose waits on stopped answering
    }
    // Compose writes its errors (and v1 its progress) to stderr; the last lines say why.
    std::string why = last_lines(outcome->err, k_error_lines);
    if (why.empty()) {
        why = last_lines(outcome->out, k_error_lines);
    }
    const int code = error_code_of(*outcome);
    return util::Error{what + " " + outcome->describe() + (why.empty() ? "" : ":\n" + why),
                       code == 0 && refused_by_runtime(why) ? EIO : code};
}

util::Status CliCompose::up_service(const std::string& service, MonoTime deadline,
                                    const Cancel& cancel) {
    return run({"up", "-d", "--no-deps", service}, deadline, cancel);
}

util::Status CliCompose::stop_services(const std::vector<std::string>& services,
                                       int timeout_seconds, MonoTime deadline,
                                       const Cancel& cancel) {
    if (services.empty()) {
        return {};
    }
    std::vector<std::string> args = {"stop", "-t", std::to_string(std::max(0, timeout_seconds))};
    args.insert(args.end(), services.begin(), services.end());
    return run(args, deadline, cancel);
}

util::Result<ComposeFlavour> detect_compose(core::ComposeCommand command, ProcessRunner& runner,
                                            MonoTime deadline, const Cancel& cancel,
                                            const std::vector<std::string>& plugin_dirs) {
    ComposeFlavour flavour;
    const std::vector<std::string> v2 = {"docker", "compose"};
    const std::vector<std::string> v1 = {"docker-compose"};
    if (command == core::ComposeCommand::v2) {
        if (auto s = probe(v2, runner, deadline, cancel, flavour); !s) {
            return util::Error{
                "compose.command is \"docker compose\" but it does not work: " + s.error().message,
                s.error().code};
        }
        return flavour;
    }
    if (command == core::ComposeCommand::v1) {
        if (auto s = probe(v1, runner, deadline, cancel, flavour); !s) {
            return util::Error{
                "compose.command is docker-compose but it does not work: " + s.error().message,
                s.error().code};
        }
        return flavour;
    }
    auto plugin = probe(v2, runner, deadline, cancel, flavour);
    if (plugin) {
        run_plugin_directly(flavour, plugin_dirs, runner, deadline, cancel);
        return flavour;
    }
    if (cancel.fired() || plugin.error().code == ECANCELED) {
        // SIGTERM ended the probe: that is the cause, not a missing compose.
        return util::Error{"interrupted while checking " + plugin.error().message, ECANCELED};
    }
    auto standalone = probe(v1, runner, deadline, cancel, flavour);
    if (standalone) {
        return flavour;
    }
    return util::Error{"no compose found: " + plugin.error().message + "; " +
                       standalone.error().message +
                       " (install the docker compose plugin or docker-compose, or set "
                       "compose.command)"};
}

util::Result<std::unique_ptr<Compose>> make_compose(
    core::ComposeCommand command, const std::string& project, const std::string& compose_file,
    ProcessRunner& runner, MonoTime deadline, const Cancel& cancel, ComposeWatchdog watchdog,
    const std::optional<std::vector<std::string>>& plugin_dirs) {
    auto flavour = detect_compose(command, runner, deadline, cancel,
                                  plugin_dirs ? *plugin_dirs : docker_cli_plugin_dirs());
    if (!flavour) {
        return flavour.error();
    }
    auto compose =
        std::make_unique<CliCompose>(std::move(flavour).value(), project, compose_file, runner);
    compose->set_watchdog(std::move(watchdog));
    return std::unique_ptr<Compose>(std::move(compose));
}

}  // namespace stagehand::os
