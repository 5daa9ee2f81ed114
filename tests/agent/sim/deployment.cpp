#include "sim/deployment.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>

#include "sim/appspec.hpp"
#include "sim/hook_runner.hpp"
#include "sim/installer.hpp"

namespace stagehand::agent {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Events whose scripts come from the last successful install (hook_executor.rb mapping).
bool uses_previous_revision(const std::string& event) {
    return event == "ApplicationStop" || event == "BeforeBlockTraffic" ||
           event == "AfterBlockTraffic";
}

std::string random_deployment_id() {
    static const char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device device;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof k_alphabet - 2);
    std::string id = "d-";
    for (int i = 0; i < 9; ++i) {
        id += k_alphabet[pick(device)];
    }
    return id + "-local";
}

std::optional<std::string> read_first_line(const fs::path& path) {
    std::ifstream file(path);
    std::string line;
    if (!file || !std::getline(file, line) || line.empty()) {
        return std::nullopt;
    }
    return line;
}

// Temp file, then rename: a crash never leaves half a pointer behind.
bool write_atomically(const fs::path& path, const std::string& text) {
    const fs::path temp = path.string() + ".tmp";
    {
        std::ofstream file(temp, std::ios::trunc);
        file << text;
        if (!file.flush()) {
            return false;
        }
    }
    std::error_code ec;
    fs::rename(temp, path, ec);
    return !ec;
}

std::string ruby_join(const fs::path& dir, std::string name) {
    name.erase(0, name.find_first_not_of('/'));
    return dir.string() + "/" + name;
}

class Deployment {
  public:
    Deployment(DeployOptions options, int interrupt_fd, const Emit& emit)
        : m_options(std::move(options)), m_interrupt_fd(interrupt_fd), m_emit(emit) {}

    DeploySummary run() {
        const auto start = Clock::now();
        if (prepare()) {
            for (const auto& event : lifecycle_events()) {
                const auto event_start = Clock::now();
                m_record = EventRecord{event, "Succeeded", "", 0, 0};
                const bool ok = !interrupted(event) && run_event(event);
                m_record.duration_ms = elapsed_ms(event_start);
                m_summary.events.push_back(m_record);
                if (!ok || m_options.stop_after == event) {
                    m_summary.stopped_after = ok ? m_options.stop_after : std::nullopt;
                    break;
                }
            }
        }
        m_summary.duration_ms = elapsed_ms(start);
        return m_summary;
    }

  private:
    static std::int64_t elapsed_ms(Clock::time_point since) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    }

    // Our own SIGINT/SIGTERM/SIGHUP between events ends the deployment (error 7, as the agent
    // fails an event it was restarted in).
    bool interrupted(const std::string& event) {
        pollfd fd{m_interrupt_fd, POLLIN, 0};
        if (m_interrupt_fd < 0 || ::poll(&fd, 1, 0) <= 0) {
            return false;
        }
        return !fail(event, 7, "codedeploy-sim was interrupted before " + event);
    }

    fs::path instructions() const { return m_options.root / "deployment-instructions"; }
    fs::path pointer(const char* suffix) const {
        return instructions() / (m_summary.group_id + suffix);
    }

    bool prepare() {
        m_summary.application = m_options.application;
        m_summary.group = m_options.group;
        m_summary.group_id = m_options.group_id.empty() ? m_options.group : m_options.group_id;
        const fs::path group_dir = m_options.root / m_summary.group_id;
        std::string id = m_options.deployment_id;
        while (id.empty() || (m_options.deployment_id.empty() && fs::exists(group_dir / id))) {
            id = random_deployment_id();
        }
        m_summary.deployment_id = id;
        m_summary.deployment_root = group_dir / id;
        m_summary.archive = m_summary.deployment_root / "deployment-archive";
        std::error_code ec;
        fs::create_directories(m_summary.deployment_root, ec);
        auto logger = ScriptLogger::open(m_summary.deployment_root / "logs" / "scripts.log",
                                         m_options.print_output);
        if (ec || !logger) {
            fail("DownloadBundle", 5,
                 ec ? "failed to create " + m_summary.deployment_root.string() + ": " + ec.message()
                    : logger.error().message);
            return false;
        }
        m_logger.emplace(std::move(*logger));
        return true;
    }

    bool run_event(const std::string& event) {
        if (event == "DownloadBundle") {
            return download_bundle();
        }
        if (event == "Install") {
            return install();
        }
        return run_hooks(event);
    }

    bool download_bundle() {
        std::error_code ec;
        fs::remove_all(m_summary.archive, ec);
        fs::copy(m_options.bundle, m_summary.archive,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        if (ec) {
            return fail("DownloadBundle", 5,
                        "failed to copy " + m_options.bundle.string() + " to " +
                            m_summary.archive.string() + ": " + ec.message());
        }
        fs::create_directories(instructions(), ec);
        write_atomically(pointer("_most_recent_install"), m_summary.deployment_root.string());
        return true;
    }

    bool install() {
        auto appspec = load_appspec(m_summary.archive);
        if (!appspec) {
            return fail("Install", 5, appspec.error().message);
        }
        InstallRequest request{instructions(), m_summary.group_id, m_summary.archive,
                               m_options.file_exists_behavior};
        auto report = install_revision(request, *appspec);
        if (!report) {
            return fail("Install", 5, report.error().message);
        }
        write_atomically(pointer("_last_successful_install"), m_summary.deployment_root.string());
        m_emit(nlohmann::ordered_json{{"type", "install"},
                                      {"event", "Install"},
                                      {"removed", report->removed},
                                      {"copied", report->copied},
                                      {"made_dirs", report->made_dirs},
                                      {"retained", report->retained}});
        return true;
    }

    // The deployment root whose scripts and appspec the event uses; nullopt: skip the event.
    std::optional<fs::path> revision_for(const std::string& event) {
        if (!uses_previous_revision(event) || fs::exists(m_summary.archive)) {
            return m_summary.deployment_root;
        }
        const auto previous = read_first_line(pointer("_last_successful_install"));
        if (!previous) {
            m_record.status = "Skipped";
            m_record.note = "no previous successful install in this deployment group";
            return std::nullopt;
        }
        m_summary.previous_root = *previous;
        m_record.note = "scripts of " + *previous;
        return fs::path(*previous);
    }

    bool run_hooks(const std::string& event) {
        const auto root = revision_for(event);
        if (!root) {
            return true;
        }
        const fs::path archive = *root / "deployment-archive";
        auto appspec = load_appspec(archive);  // HookExecutor parses it even without scripts
        if (!appspec) {
            return fail(event, 5, appspec.error().message);
        }
        const auto it = appspec->hooks.find(event);
        if (it == appspec->hooks.end() || it->second.empty()) {
            m_record.status = "Skipped";
            m_record.note = "no scripts for this event";
            return true;
        }
        m_logger->begin_event(event);
        for (const auto& script : it->second) {
            ++m_record.scripts;
            const HookOutcome outcome =
                run_hook(hook_spec(event, archive, script), *m_logger, m_interrupt_fd);
            m_emit(to_json(outcome));
            if (!outcome.ok()) {
                m_summary.failed_script = script.location;
                return fail(event, static_cast<int>(outcome.error), outcome.message);
            }
        }
        return true;
    }

    HookSpec hook_spec(const std::string& event, const fs::path& archive,
                       const ScriptEntry& script) const {
        HookSpec spec;
        spec.script = ruby_join(archive, script.location);
        spec.location = script.location;
        spec.event = event;
        spec.timeout_s = script.timeout_s;
        spec.runas = script.runas;
        spec.sudo = script.sudo;
        spec.agent = m_options.agent;
        spec.hard_kill_after_s = m_options.hard_kill_after_s;
        spec.env =
            hook_environment(DeploymentVars{event, m_summary.deployment_id, m_summary.application,
                                            m_summary.group, m_summary.group_id},
                             m_options.env_extras, own_environment());
        return spec;
    }

    bool fail(const std::string& event, int code, const std::string& message) {
        m_summary.status = "Failed";
        m_summary.failed_event = event;
        m_summary.error_code = code;
        m_summary.error = message;
        m_record.status = "Failed";
        return false;
    }

    DeployOptions m_options;
    int m_interrupt_fd;
    const Emit& m_emit;
    DeploySummary m_summary;
    EventRecord m_record;
    std::optional<ScriptLogger> m_logger;
};

std::optional<std::string> path_or_null(const std::optional<fs::path>& path) {
    return path ? std::optional<std::string>(path->string()) : std::nullopt;
}

}  // namespace

const std::vector<std::string>& lifecycle_events() {
    static const std::vector<std::string> k_events{
        "BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop",
        "DownloadBundle",     "BeforeInstall",     "Install",
        "AfterInstall",       "ApplicationStart",  "ValidateService",
        "BeforeAllowTraffic", "AfterAllowTraffic"};
    return k_events;
}

DeploySummary run_deployment(DeployOptions options, int interrupt_fd, const Emit& emit) {
    return Deployment(std::move(options), interrupt_fd, emit).run();
}

nlohmann::ordered_json to_json(const DeploySummary& summary) {
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const auto& e : summary.events) {
        events.push_back({{"event", e.event},
                          {"status", e.status},
                          {"note", e.note},
                          {"scripts", e.scripts},
                          {"duration_ms", e.duration_ms}});
    }
    const auto opt = [](const std::optional<std::string>& s) {
        return s ? nlohmann::ordered_json(*s) : nlohmann::ordered_json(nullptr);
    };
    return nlohmann::ordered_json{
        {"type", "summary"},
        {"deployment_id", summary.deployment_id},
        {"application", summary.application},
        {"deployment_group", summary.group},
        {"deployment_group_id", summary.group_id},
        {"status", summary.status},
        {"failed_event", opt(summary.failed_event)},
        {"failed_script", opt(summary.failed_script)},
        {"error_code", summary.error_code},
        {"error", summary.error},
        {"deployment_root", summary.deployment_root.string()},
        {"archive", summary.archive.string()},
        {"previous_deployment_root", opt(path_or_null(summary.previous_root))},
        {"stopped_after", opt(summary.stopped_after)},
        {"duration_ms", summary.duration_ms},
        {"events", events}};
}

}  // namespace stagehand::agent
