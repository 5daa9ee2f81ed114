#include "runtime/boot_install.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/model/diagnostic.hpp"
#include "os/process/posix_runner.hpp"
#include "runtime/boot_unit.hpp"
#include "runtime/exit_codes.hpp"
#include "runtime/hook.hpp"
#include "runtime/inputs.hpp"
#include "util/text.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

// The state_dir of the bundle this executable belongs to (its stagehand.yml), so that the unit
// finds the record its deployments write; the default when there is no loadable bundle.
std::string bundle_state_dir(const Options& options, util::Log& log) {
    try {
        return load_inputs(options).config.state_dir;
    } catch (const core::InputError& error) {
        log.warn("", "no state_dir from the bundle (" +
                         util::first_line(error.diagnostic().format()) + "): the unit uses " +
                         k_default_state_dir + " (--state-dir to change)");
    }
    return k_default_state_dir;
}

}  // namespace

int run_install_boot_unit(const Options& options, Logger& log) {
    std::error_code ec;
    BootUnitInstall request;
    request.source_executable = fs::canonical("/proc/self/exe", ec).string();
    request.state_dir = options.state_dir ? *options.state_dir : bundle_state_dir(options, log);
    if (options.dry_run) {
        log.info("", "would copy " + request.source_executable + " to " + k_boot_executable +
                         " (unless it is the .deb's or that copy), write " +
                         "/etc/systemd/system/" + k_boot_unit_name + " and enable it, state_dir " +
                         request.state_dir);
        log.verdict("OK: install-boot-unit --dry-run: nothing was changed");
        return 0;
    }
    auto installed = install_boot_unit(request);
    if (!installed) {
        log.verdict("FAILED: install-boot-unit: " + installed.error().message);
        return to_int(ExitCode::step_failed);
    }
    log.info("", std::string(installed->copied ? "copied this executable to " : "the unit runs ") +
                     installed->executable);
    log.info("", "wrote " + installed->unit_path + ", enabled (" + installed->wants_link + ")");
    // Best effort: without a running systemd (a chroot, an image build) the next boot reads
    // the unit anyway. Started now so that its ExecStop runs at the next shutdown; on a
    // running stack the start finds every service up to date.
    os::PosixProcessRunner runner(k_child_grace);
    const os::Cancel never;
    for (const auto& argv :
         {std::vector<std::string>{"systemctl", "daemon-reload"},
          std::vector<std::string>{"systemctl", "start", "--no-block", k_boot_unit_name}}) {
        os::ProcessSpec spec;
        spec.argv = argv;
        auto ran =
            runner.run(spec, std::chrono::steady_clock::now() + std::chrono::seconds(30), never);
        if (!ran || !ran->success()) {
            log.warn("", "`systemctl " + argv[1] + "` failed (" +
                             (ran ? ran->describe() : ran.error().message) +
                             "): the unit takes effect at the next boot");
            break;
        }
    }
    log.verdict("OK: install-boot-unit: " + std::string(k_boot_unit_name) + " runs " +
                installed->executable + " --boot after docker.service at every boot");
    return 0;
}

}  // namespace stagehand::runtime
