#include "runtime/boot_state.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "os/fs/atomic_file.hpp"
#include "os/sys/read_file.hpp"
#include "runtime/run_state.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_input_limit = 16u << 20;

// The services in the order they started (plan order between equal times).
std::vector<std::string> started_order(const steps::StartResult& result) {
    std::vector<const steps::ServiceRecord*> started;
    for (const auto& service : result.services) {
        if (service.started_at.count() >= 0) {
            started.push_back(&service);
        }
    }
    std::stable_sort(started.begin(), started.end(),
                     [](const auto* a, const auto* b) { return a->started_at < b->started_at; });
    std::vector<std::string> names;
    for (const auto* service : started) {
        names.push_back(service->name);
    }
    return names;
}

util::Status copy_input(const std::string& from, const std::string& to) {
    auto text = os::read_text_file(from, k_input_limit);
    if (!text) {
        return util::Error{"cannot read " + from + ": " + text.error().message};
    }
    return os::write_file_atomic(to, *text, 0644);
}

util::Status write_boot_entry(const HookEnv& env, const core::BootEntry& entry) {
    const auto& state_dir = env.inputs.config.state_dir;
    const std::string copies = boot_copies_dir(state_dir, env.inputs.project);
    std::error_code ec;
    fs::create_directories(copies, ec);
    if (ec) {
        return util::Error{"cannot create " + copies + ": " + ec.message()};
    }
    if (auto copied = copy_input(entry.compose_file, copies + "/compose.yml"); !copied) {
        return copied;
    }
    if (!entry.config_file.empty()) {
        if (auto copied = copy_input(entry.config_file, copies + "/stagehand.yml"); !copied) {
            return copied;
        }
    } else {
        fs::remove(copies + "/stagehand.yml", ec);
    }
    auto read = read_boot_record(state_dir, env.log);
    if (!read) {
        return read.error();  // unreadable: writing over it would lose the other projects
    }
    core::BootRecord record = read->value_or(core::BootRecord{});
    record.projects[env.inputs.project] = entry;
    return os::write_file_atomic(boot_record_path(state_dir), core::boot_record_to_json(record),
                                 0644);
}

}  // namespace

std::string boot_record_path(const std::string& state_dir) {
    return state_dir + "/boot.json";
}

std::string boot_copies_dir(const std::string& state_dir, const std::string& project) {
    return state_dir + "/boot/" + safe_file_name(project);
}

util::Result<std::optional<core::BootRecord>> read_boot_record(const std::string& state_dir,
                                                               util::Log& log,
                                                               os::OnDamage on_damage) {
    os::PosixFileSystem files;
    return os::read_state_file<core::BootRecord>(files, log, boot_record_path(state_dir),
                                                 core::boot_record_from_json, on_damage);
}

void record_boot(HookEnv& env, const steps::StartResult& result) {
    if (!env.options.only.empty() || env.options.from) {
        return;  // part of the stack: the boot record keeps the last whole one
    }
    const auto& inputs = env.inputs;
    const core::BootEntry entry{
        env.deployment_id,   rfc3339(std::chrono::system_clock::now()),     inputs.bundle.root,
        inputs.compose.path, inputs.config_found ? inputs.config.path : "", started_order(result)};
    if (auto written = write_boot_entry(env, entry); !written) {
        env.log.warn("",
                     "cannot record this deployment for the boot unit: " + written.error().message +
                         " (after-install --boot will start " + "the previous one)");
    }
}

void warn_boot_policies(const core::ComposeFile& compose, util::Log& log) {
    for (const auto& warning : core::boot_policy_warnings(compose)) {
        log.warn(warning.service, warning.text);
    }
}

}  // namespace stagehand::runtime
