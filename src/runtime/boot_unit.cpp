#include "runtime/boot_unit.hpp"

#include <filesystem>

#include "os/fs/atomic_file.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_executable_limit = 64u << 20;
constexpr const char* k_packaged_executable = "/usr/lib/stagehand/after-install";

std::string under(const std::string& root, const std::string& path) {
    return (fs::path(root) / fs::path(path).relative_path()).lexically_normal().string();
}

util::Status make_folder(const std::string& folder) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
        return util::Error{"cannot create " + folder + ": " + ec.message(), ec.value()};
    }
    return {};
}

// Copies `from` to `to` unless `to` has the same bytes already. True when it copied.
util::Result<bool> copy_executable(const std::string& from, const std::string& to) {
    auto bytes = os::read_text_file(from, k_executable_limit);
    if (!bytes) {
        return util::Error{"cannot read " + from + ": " + bytes.error().message};
    }
    if (auto existing = os::read_text_file(to, k_executable_limit);
        existing && *existing == *bytes) {
        return false;
    }
    if (auto folder = make_folder(fs::path(to).parent_path().string()); !folder) {
        return folder.error();
    }
    if (auto written = os::write_file_atomic(to, *bytes, 0755); !written) {
        return written.error();
    }
    return true;
}

}  // namespace

std::string boot_unit_text(const std::string& executable, const std::string& state_dir) {
    const std::string state = state_dir == k_default_state_dir ? "" : " --state-dir " + state_dir;
    // Type=oneshot + RemainAfterExit: the unit is active once the stack is up, so ExecStop
    // runs at shutdown (before docker.service stops: the reverse of After=). The deadlines
    // are given so stagehand's own verdict comes before systemd's timeout.
    return "# Written by stagehand (after-install --install-boot-unit, or the .deb).\n"
           "# Starts the last successfully deployed compose stack through stagehand's gate after\n"
           "# docker.service, and stops it in reverse start order at shutdown, so that Docker "
           "does\n"
           "# not start every container at once on its own. See after-install(1).\n"
           "[Unit]\n"
           "Description=stagehand: gated start of the deployed compose stack\n"
           "Documentation=man:after-install(1)\n"
           "Requires=docker.service\n"
           "After=docker.service\n"
           "\n"
           "[Service]\n"
           "Type=oneshot\n"
           "RemainAfterExit=yes\n"
           "ExecStart=" +
           executable + " --boot --deadline 25m" + state +
           "\n"
           "ExecStop=" +
           executable + " --boot-stop --deadline 4m" + state +
           "\n"
           "TimeoutStartSec=26min\n"
           "TimeoutStopSec=5min\n"
           "\n"
           "[Install]\n"
           "WantedBy=multi-user.target\n";
}

util::Result<BootUnitInstalled> install_boot_unit(const BootUnitInstall& request) {
    BootUnitInstalled installed;
    std::error_code ec;
    const auto source = fs::weakly_canonical(request.source_executable, ec).string();
    if (source == k_packaged_executable || source == k_boot_executable) {
        installed.executable = source;  // the .deb's or an earlier copy: stable already
    } else {
        installed.executable = k_boot_executable;
        auto copied = copy_executable(source, under(request.root, k_boot_executable));
        if (!copied) {
            return copied.error();
        }
        installed.copied = *copied;
    }
    const std::string units = under(request.root, "/etc/systemd/system");
    installed.unit_path = units + "/" + k_boot_unit_name;
    installed.wants_link = units + "/multi-user.target.wants/" + k_boot_unit_name;
    if (auto folder = make_folder(units + "/multi-user.target.wants"); !folder) {
        return folder.error();
    }
    if (auto written = os::write_file_atomic(
            installed.unit_path, boot_unit_text(installed.executable, request.state_dir), 0644);
        !written) {
        return written.error();
    }
    // What `systemctl enable` does for WantedBy=multi-user.target; an absolute target, as
    // systemctl writes it. Replaced atomically: a new link, renamed over the old one.
    const std::string temp = installed.wants_link + ".stagehand-tmp";
    fs::remove(temp, ec);
    fs::create_symlink(std::string("/etc/systemd/system/") + k_boot_unit_name, temp, ec);
    if (!ec) {
        fs::rename(temp, installed.wants_link, ec);
    }
    if (ec) {
        const auto failure = ec;
        fs::remove(temp, ec);
        return util::Error{
            "cannot enable the unit (" + installed.wants_link + "): " + failure.message(),
            failure.value()};
    }
    return installed;
}

}  // namespace stagehand::runtime
