#include "runtime/run_state.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "os/fs/atomic_file.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

std::optional<nlohmann::json> read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto parsed = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return std::nullopt;  // unreadable state is replaced, never fatal
    }
    return parsed;
}

const char* outcome_name(ExitCode code) {
    switch (code) {
        case ExitCode::success:
            return "succeeded";
        case ExitCode::bad_input:
            return "invalid input";
        case ExitCode::locked:
            return "lock timeout";
        case ExitCode::deadline:
            return "deadline passed";
        case ExitCode::sigint:
        case ExitCode::sigterm:
            return "interrupted";
        case ExitCode::step_failed:
            break;
    }
    return "failed";
}

// Deployment ids come from the environment: keep them to a safe file name.
std::string safe_file_name(const std::string& text) {
    std::string out;
    for (char c : text) {
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    }
    return out.empty() ? "unknown" : out;
}

}  // namespace

std::string rfc3339(os::WallTime time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

RunState::RunState(std::string state_dir, std::string hook, std::string project,
                   std::string deployment_id)
    : m_state_dir(std::move(state_dir)),
      m_hook(std::move(hook)),
      m_project(std::move(project)),
      m_deployment_id(std::move(deployment_id)),
      m_report_path(m_state_dir + "/reports/" + safe_file_name(m_deployment_id) + ".json"),
      m_started(std::chrono::system_clock::now()) {}

util::Status RunState::prepare() {
    std::error_code ec;
    fs::create_directories(m_state_dir + "/reports", ec);
    if (ec) {
        return util::Error{"cannot create state folder " + m_state_dir +
                           "/reports: " + ec.message()};
    }
    return {};
}

util::Result<os::HostLock> RunState::lock(os::MonoTime deadline, const os::Cancel& cancel,
                                          Logger& log) {
    os::LockHolder me;
    me.hook = m_hook;
    me.project = m_project;
    me.deployment_id = m_deployment_id;
    me.started_at = rfc3339(m_started);
    os::SystemClock clock;
    return os::HostLock::acquire(
        m_state_dir + "/lock", me, deadline, clock, cancel, [&](const std::string& holder) {
            log.progress("lock", "", "waiting for the host lock, held by " + holder);
        });
}

util::Status RunState::write_report(const nlohmann::json& part, ExitCode code,
                                    const std::string& bundle, os::WallTime now) {
    nlohmann::json report = read_json(m_report_path).value_or(nlohmann::json::object());
    report["deployment_id"] = m_deployment_id;
    report["project"] = m_project;
    report["bundle"] = bundle;
    nlohmann::json hook = part.is_object() ? part : nlohmann::json::object();
    hook["hook"] = m_hook;
    // started_at/ended_at: "start" is after-install's start sequence (SPEC section 8).
    hook["started_at"] = rfc3339(m_started);
    hook["ended_at"] = rfc3339(now);
    hook["outcome"] = outcome_name(code);
    hook["exit_code"] = to_int(code);
    report["hooks"][m_hook] = hook;
    report["updated"] = rfc3339(now);
    return os::write_file_atomic(m_report_path, report.dump(1) + "\n", 0644);
}

core::Profiles read_profiles(const std::string& state_dir, const std::string& project) {
    core::Profiles profiles;
    const auto json = read_json(state_dir + "/profiles.json");
    if (!json || !json->contains(project) || !(*json)[project].is_object()) {
        return profiles;
    }
    for (const auto& [name, entry] : (*json)[project].items()) {
        if (entry.is_object() && entry.value("peak_bytes", 0LL) > 0) {
            profiles[name] = core::LearnedProfile{entry.value("peak_bytes", 0LL),
                                                  core::Millis(entry.value("ready_ms", 0LL))};
        }
    }
    return profiles;
}

util::Status write_profiles(const std::string& state_dir, const std::string& project,
                            const core::Profiles& profiles) {
    nlohmann::json json =
        read_json(state_dir + "/profiles.json").value_or(nlohmann::json::object());
    for (const auto& [name, profile] : profiles) {
        json[project][name] = {{"peak_bytes", profile.peak},
                               {"ready_ms", profile.time_to_ready.count()}};
    }
    return os::write_file_atomic(state_dir + "/profiles.json", json.dump(1) + "\n", 0644);
}

}  // namespace stagehand::runtime
