#pragma once
// The systemd unit that gates a boot (SPEC section 11): its text, and
// `after-install --install-boot-unit` for hosts that run the revision-carried executables
// (the .deb ships the same unit for /usr/lib/stagehand/after-install).

#include <string>

#include "util/log.hpp"
#include "util/result.hpp"

namespace stagehand::runtime {

inline constexpr const char* k_boot_unit_name = "stagehand-boot.service";
// Where --install-boot-unit copies its own executable: a path no deployment replaces or
// deletes (the agent keeps only the last few revisions' folders).
inline constexpr const char* k_boot_executable = "/usr/local/lib/stagehand/after-install";
inline constexpr const char* k_default_state_dir = "/var/lib/stagehand";

// The unit for `executable`; `state_dir` is passed on when it is not the default.
std::string boot_unit_text(const std::string& executable, const std::string& state_dir);

struct BootUnitInstall {
    std::string root = "/";         // a temp folder in tests: every path below is under it
    std::string source_executable;  // the running after-install (/proc/self/exe)
    std::string state_dir = k_default_state_dir;
};

struct BootUnitInstalled {
    std::string executable;  // what ExecStart runs (without the root prefix)
    std::string unit_path;   // the unit file written
    std::string wants_link;  // multi-user.target.wants/stagehand-boot.service
    bool copied = false;     // false when the executable was already in place
};

// Copies the executable to k_boot_executable (atomically, 0755; skipped when the running one
// is the .deb's /usr/lib/stagehand/after-install or already that file with the same bytes),
// writes the unit (atomically, 0644) and enables it by writing the symlink `systemctl enable`
// writes (so it works without D-Bus or a running systemd, as in a chroot).
util::Result<BootUnitInstalled> install_boot_unit(const BootUnitInstall& request);

}  // namespace stagehand::runtime
