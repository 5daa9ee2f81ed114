#include "runtime/run_state.hpp"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>
#include <functional>

#include "os/fs/atomic_file.hpp"
#include "os/fs/state_file.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

using os::OnDamage;

const char* k_profiles_name = "profiles.json";

// Whole numbers >= 0 only: a string or a negative peak would throw (or mislead the gate)
// where the value is used.
bool is_count(const nlohmann::json& value) {
    return value.is_number_unsigned() ||
           (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

// profiles.json, per project and service (SPEC section 8):
//   {"shop": {"kafka": {"peak_bytes": 412090368, "ready_ms": 8200}, ...}, ...}
// Anything else is damaged: a wrong shape (issue 13: {"proj":[1,2,3]}) used to throw
// json type_error.305 when the learned profiles were saved, after every service was ready.
util::Result<nlohmann::json> parse_profiles(std::string_view text) {
    auto json = os::parse_json_object(text);
    if (!json) {
        return json.error();
    }
    for (const auto& [project, services] : json->items()) {
        if (!services.is_object()) {
            return util::Error{"project " + project + ": a JSON " + services.type_name() +
                                   ", not an object of services",
                               EINVAL};
        }
        for (const auto& [service, entry] : services.items()) {
            for (const char* key : {"peak_bytes", "ready_ms"}) {
                if (!entry.is_object() || !entry.contains(key) || !is_count(entry[key])) {
                    return util::Error{
                        project + "." + service + "." + key + ": expected a whole number >= 0",
                        EINVAL};
                }
            }
        }
    }
    return json;
}

// A deployment report (SPEC section 8): an object whose "hooks", when present, is an object
// (each hook's part is replaced whole, so its inside does not matter).
util::Result<nlohmann::json> parse_report(std::string_view text) {
    auto json = os::parse_json_object(text);
    if (json && json->contains("hooks") && !(*json)["hooks"].is_object()) {
        return util::Error{"\"hooks\" is not an object", EINVAL};
    }
    return json;
}

// Reads a state JSON file; missing or damaged (set aside): an empty object.
util::Result<nlohmann::json> read_json_state(
    const std::string& path, util::Log& log,
    const std::function<util::Result<nlohmann::json>(std::string_view)>& parse,
    OnDamage on_damage) {
    os::PosixFileSystem fs;
    auto read = os::read_state_file<nlohmann::json>(fs, log, path, parse, on_damage);
    if (!read) {
        return read.error();
    }
    return read->value_or(nlohmann::json::object());
}

// Text read back from input (image names, a container's output) may hold invalid UTF-8: the
// file gets U+FFFD there rather than a dump() that throws.
std::string dump_state(const nlohmann::json& json) {
    return json.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
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

}  // namespace

std::string safe_file_name(const std::string& text) {
    std::string out;
    for (char c : text) {
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    }
    return out.empty() ? "unknown" : out;
}

std::string rfc3339(os::WallTime time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string timestamped_run_id(std::string_view prefix) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[24];
    std::strftime(text, sizeof text, "-%Y%m%dT%H%M%SZ", &utc);
    return std::string(prefix) + text;
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

void RunState::tidy(util::Log& log) {
    os::PosixFileSystem fs;
    for (const auto& folder : {m_state_dir, os::join_path(m_state_dir, "reports")}) {
        const auto sweep = os::remove_stale_temp_files(fs, folder, ::geteuid());
        for (const auto& path : sweep.removed) {
            log.info("", "removed " + path + ", a temporary file left by an interrupted run");
        }
        for (const auto& problem : sweep.failures) {
            log.warn("",
                     "could not remove a temporary file left by an interrupted run: " + problem);
        }
    }
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
                                    const std::string& bundle, os::WallTime now, util::Log& log) {
    auto read = read_json_state(m_report_path, log, parse_report, OnDamage::set_aside);
    if (!read) {
        return read.error();  // unreadable: writing over it would lose the other hooks' parts
    }
    nlohmann::json report = std::move(read).value();
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
    return os::write_file_atomic(m_report_path, dump_state(report), 0644);
}

core::Profiles read_profiles(const std::string& state_dir, const std::string& project,
                             util::Log& log, OnDamage on_damage) {
    core::Profiles profiles;
    const auto json =
        read_json_state(os::join_path(state_dir, k_profiles_name), log, parse_profiles, on_damage);
    if (!json) {
        log.warn("", "cannot read the learned profiles: " + json.error().message +
                         " (planning without them)");
        return profiles;
    }
    if (!json->contains(project)) {
        return profiles;
    }
    for (const auto& [name, entry] : (*json)[project].items()) {
        if (entry["peak_bytes"].get<std::int64_t>() > 0) {
            profiles[name] =
                core::LearnedProfile{entry["peak_bytes"].get<std::int64_t>(),
                                     core::Millis(entry["ready_ms"].get<std::int64_t>())};
        }
    }
    return profiles;
}

util::Status write_profiles(const std::string& state_dir, const std::string& project,
                            const core::Profiles& profiles, util::Log& log) {
    const std::string path = os::join_path(state_dir, k_profiles_name);
    auto json = read_json_state(path, log, parse_profiles, OnDamage::set_aside);
    if (!json) {
        return json.error();  // unreadable: writing over it would lose the other projects
    }
    for (const auto& [name, profile] : profiles) {
        (*json)[project][name] = {{"peak_bytes", profile.peak},
                                  {"ready_ms", profile.time_to_ready.count()}};
    }
    return os::write_file_atomic(path, dump_state(*json), 0644);
}

}  // namespace stagehand::runtime
