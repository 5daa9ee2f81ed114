#pragma once
// state_dir for one run (SPEC section 2): the host lock, the deployment report, and the
// learned profiles. Every file is written atomically (temp, fsync, rename).

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/plan/plan.hpp"
#include "os/fs/host_lock.hpp"
#include "os/fs/state_file.hpp"
#include "os/sys/clock.hpp"
#include "runtime/exit_codes.hpp"
#include "runtime/logger.hpp"
#include "util/result.hpp"

namespace stagehand::runtime {

class RunState {
  public:
    RunState(std::string state_dir, std::string hook, std::string project,
             std::string deployment_id);

    // Creates state_dir and its reports/ folder.
    util::Status prepare();
    // Under the host lock: removes the temp files a killed run left in state_dir and its
    // reports/ folder (os::remove_stale_temp_files), one line each in `log`.
    void tidy(util::Log& log);
    // Waits for the host lock (saying who holds it) until `deadline`.
    util::Result<os::HostLock> lock(os::MonoTime deadline, const os::Cancel& cancel, Logger& log);
    // Merges this hook's part into reports/<deployment id>.json. A damaged report is set
    // aside (os/fs/state_file.hpp) with a warning to `log`; an unreadable one is an Error.
    util::Status write_report(const nlohmann::json& part, ExitCode code, const std::string& bundle,
                              os::WallTime now, util::Log& log);

    const std::string& report_path() const { return m_report_path; }

  private:
    std::string m_state_dir;
    std::string m_hook;
    std::string m_project;
    std::string m_deployment_id;
    std::string m_report_path;
    os::WallTime m_started;
};

// profiles.json: per project and service, the learned peak memory and time to ready (two
// applications can share a host, and their service names can clash). A damaged file is set
// aside with a warning (leave_in_place: only the warning, for --dry-run) and planning goes
// on without it; write_profiles fails only when the file exists and cannot be read.
core::Profiles read_profiles(const std::string& state_dir, const std::string& project,
                             util::Log& log, os::OnDamage on_damage = os::OnDamage::set_aside);
util::Status write_profiles(const std::string& state_dir, const std::string& project,
                            const core::Profiles& profiles, util::Log& log);

// A deployment id (from the environment) as a file name of its own: letters, digits, '-'
// and '_' kept, anything else '_' ("../x" cannot leave log_dir or reports/).
std::string safe_file_name(const std::string& text);

// "2026-11-25T16:33:46Z"
std::string rfc3339(os::WallTime time);

// "<prefix>-20261206T134100Z" (UTC, now): the id of a run that has no DEPLOYMENT_ID, a hook
// run by hand ("manual") or the boot unit's ("boot", "boot-stop"); it names its log file.
std::string timestamped_run_id(std::string_view prefix);

}  // namespace stagehand::runtime
