#pragma once
// Command-line options, the same on all three executables (SPEC section 2).

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model/types.hpp"

namespace stagehand::runtime {

enum class LogFormat { text, json };

struct Options {
    std::optional<std::string> bundle;
    std::optional<std::string> config;
    bool dry_run = false;
    std::optional<core::Millis> deadline;
    std::vector<std::string> only;
    std::optional<std::string> from;
    LogFormat log_format = LogFormat::text;
    int verbosity = 0;  // -1 quiet, 0 normal, 1+ verbose
    bool help = false;
    bool version = false;
    std::optional<std::string> svg;  // after-install: also render the report as SVG here
    // after-install's boot modes (SPEC section 11): at most one of them.
    enum class BootMode { none, boot, boot_stop, install_unit } boot = BootMode::none;
    std::optional<std::string> state_dir;  // the boot modes: state_dir (default /var/lib/stagehand)
};

// Bad usage: printed to stderr with the usage line, exit 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Which options a hook accepts beyond the common ones.
struct HookOptions {
    bool only = false;  // --only (after-install, validate-service)
    bool from = false;  // --from (after-install)
    bool svg = false;   // --svg (after-install)
    bool boot = false;  // --boot, --boot-stop, --install-boot-unit, --state-dir (after-install)
};

Options parse_options(const std::vector<std::string>& args, const HookOptions& accepted);
std::string usage(const std::string& program, const HookOptions& accepted);

}  // namespace stagehand::runtime
