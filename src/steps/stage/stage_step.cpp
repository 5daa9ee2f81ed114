#include "steps/stage/stage_step.hpp"

#include <algorithm>
#include <cerrno>

#include "core/stage/manifest.hpp"
#include "os/fs/atomic_file.hpp"
#include "os/fs/state_file.hpp"
#include "steps/stage/installer.hpp"

namespace stagehand::steps {
namespace {

using Steady = std::chrono::steady_clock;

constexpr const char* k_manifest_name = "staging-manifest.json";

std::vector<core::ManifestFile> manifest_files(const core::StagePlan& plan) {
    std::vector<core::ManifestFile> out;
    for (const auto& f : plan.files) {
        out.push_back(core::ManifestFile{f.destination, f.target.sha256, f.target.mode, f.owner,
                                         f.group, f.target.uid, f.target.gid, f.target.size});
    }
    return out;
}

// Reads the previous manifest. A missing one is empty; a damaged one is moved aside
// (os/fs/state_file.hpp) and staging goes on with an empty one; a read error fails: rewriting
// the file without what it held would lose the other projects' entries.
util::Result<core::StagingManifest> read_manifest(os::FileSystem& fs, util::Log& log,
                                                  const std::string& path) {
    auto read = os::read_state_file<core::StagingManifest>(fs, log, path, core::manifest_from_json);
    if (!read) {
        return read.error();
    }
    return read->value_or(core::StagingManifest{});
}

}  // namespace

StageStep::StageStep(Context& ctx, os::FileSystem& fs, StageInputs inputs)
    : m_ctx(ctx), m_fs(fs), m_in(std::move(inputs)) {}

std::vector<std::string> StageStep::describe_plan(const core::StagePlan& plan) const {
    return core::describe_plan(plan);
}

void StageStep::add_op(StageOutcome& out, StageOp op, Steady::time_point began) {
    op.took = std::chrono::duration_cast<std::chrono::milliseconds>(m_ctx.clock.now() - began);
    const std::string line =
        op.kind + " " + op.target + (op.detail.empty() ? "" : ": ") + op.detail;
    if (op.status == OpStatus::failed) {
        m_ctx.log.error("", line);
    } else {
        m_ctx.log.info("", line);
    }
    out.ops.push_back(std::move(op));
}

util::Status StageStep::check_time() const {
    if (m_ctx.cancel.reason() == os::CancelReason::deadline ||
        m_ctx.clock.now() >= m_ctx.deadline) {
        return util::Error{"the deadline passed while staging", ETIMEDOUT};
    }
    if (m_ctx.cancel.fired()) {
        return util::Error{"interrupted while staging", ECANCELED};
    }
    return {};
}

util::Status StageStep::clean_folders(const core::StagePlan& plan, StageOutcome& out) {
    for (const auto& c : plan.clean) {
        if (auto st = check_time(); !st) {
            return st;
        }
        const auto began = m_ctx.clock.now();
        if (!c.exists) {
            add_op(out, StageOp{"clean", c.folder, OpStatus::skipped, "does not exist", {}}, began);
            continue;
        }
        if (auto st = m_fs.empty_dir(c.folder); !st) {
            add_op(out, StageOp{"clean", c.folder, OpStatus::failed, st.error().message, {}},
                   began);
            return util::Error{"failed to clean " + c.folder + ": " + st.error().message,
                               st.error().code};
        }
        add_op(out, StageOp{"clean", c.folder, OpStatus::done, "emptied", {}}, began);
    }
    return {};
}

util::Status StageStep::install_files(const core::StagePlan& plan, Installer& installer,
                                      StageOutcome& out) {
    for (const auto& f : plan.files) {
        if (auto st = check_time(); !st) {
            return st;
        }
        const auto began = m_ctx.clock.now();
        const auto action = f.action();
        if (action == core::FileAction::unchanged) {
            add_op(out, StageOp{"install", f.destination, OpStatus::skipped, "unchanged", {}},
                   began);
            continue;
        }
        if (auto st = installer.install(f, m_ctx.clock.wall_now()); !st) {
            add_op(out, StageOp{"install", f.destination, OpStatus::failed, st.error().message, {}},
                   began);
            return util::Error{"failed to install " + f.destination + ": " + st.error().message,
                               st.error().code};
        }
        add_op(out,
               StageOp{"install",
                       f.destination,
                       OpStatus::done,
                       action == core::FileAction::create ? "created" : "replaced (backup kept)",
                       {}},
               began);
    }
    return {};
}

util::Status StageStep::update_manifest(const core::StagePlan& plan, StageOutcome& out) {
    const auto began = m_ctx.clock.now();
    const std::string path = os::join_path(m_in.state_dir, k_manifest_name);
    auto read = read_manifest(m_fs, m_ctx.log, path);
    if (!read) {
        add_op(out, StageOp{"manifest", path, OpStatus::failed, read.error().message, {}}, began);
        return util::Error{
            "failed to read the staging manifest " + path + ": " + read.error().message,
            read.error().code};
    }
    auto& manifest = *read;
    const auto it = manifest.projects.find(m_in.project);
    const core::ProjectManifest* previous = it == manifest.projects.end() ? nullptr : &it->second;
    auto next = core::next_project_manifest(previous, m_in.deployment_id,
                                            core::rfc3339_utc(m_ctx.clock.wall_now()),
                                            manifest_files(plan), m_in.images);
    m_keep_images = next.images;
    m_keep_images.insert(m_keep_images.end(), next.previous_images.begin(),
                         next.previous_images.end());
    m_history_images = next.image_history;
    if (previous != nullptr && previous->same_content(next)) {
        add_op(out, StageOp{"manifest", path, OpStatus::skipped, "unchanged", {}}, began);
        return {};
    }
    manifest.projects[m_in.project] = std::move(next);
    auto st = m_fs.make_dirs(m_in.state_dir, 0755);
    if (st) {
        st = os::write_file_atomic(m_fs, path, core::manifest_to_json(manifest), 0644);
    }
    if (!st) {
        add_op(out, StageOp{"manifest", path, OpStatus::failed, st.error().message, {}}, began);
        return util::Error{
            "failed to write the staging manifest " + path + ": " + st.error().message,
            st.error().code};
    }
    add_op(out, StageOp{"manifest", path, OpStatus::done, "written", {}}, began);
    return {};
}

void StageStep::roll_back(Installer& installer, StageOutcome& out) {
    if (installer.installed().empty()) {
        return;
    }
    const auto began = m_ctx.clock.now();
    const auto failures = installer.rollback();
    out.rolled_back = true;
    add_op(out,
           StageOp{"rollback",
                   "staged files",
                   failures.empty() ? OpStatus::done : OpStatus::failed,
                   failures.empty() ? "every file put back" : failures.front(),
                   {}},
           began);
    for (std::size_t i = 1; i < failures.size(); ++i) {
        m_ctx.log.error("", failures[i]);
    }
}

// A SIGKILL skips the destructor that discards an AtomicFile's temp file: the next run
// removes those of ours next to each destination and its backups (issue 13). We hold the
// host lock, so no other run of ours is writing one there now.
void StageStep::tidy_temp_files(const core::StagePlan& plan, const Installer& installer,
                                StageOutcome& out) {
    std::vector<std::string> folders;
    for (const auto& f : plan.files) {
        for (auto folder :
             {os::parent_path(f.destination), installer.backup_folder(f.destination)}) {
            if (std::find(folders.begin(), folders.end(), folder) == folders.end()) {
                folders.push_back(std::move(folder));
            }
        }
    }
    for (const auto& folder : folders) {
        const auto began = m_ctx.clock.now();
        const auto sweep = os::remove_stale_temp_files(m_fs, folder, m_in.uid);
        for (const auto& path : sweep.removed) {
            add_op(out,
                   StageOp{"tidy",
                           path,
                           OpStatus::done,
                           "removed a temporary file left by an interrupted run",
                           {}},
                   began);
        }
        for (const auto& problem : sweep.failures) {
            m_ctx.log.warn(
                "", "could not remove a temporary file left by an interrupted run: " + problem);
            out.ops.push_back(StageOp{"tidy", folder, OpStatus::skipped, problem, {}});
        }
    }
}

StageOutcome StageStep::run(const core::StagePlan& plan) {
    StageOutcome out;
    if (plan.stop) {
        out.status = stop_containers(plan, out);
        if (!out.status) {
            return out;
        }
    }
    out.status = clean_folders(plan, out);
    if (!out.status) {
        return out;
    }
    Installer installer(m_fs, m_in.state_dir);
    tidy_temp_files(plan, installer, out);
    out.status = install_files(plan, installer, out);
    if (out.status) {
        out.status = update_manifest(plan, out);
    }
    if (!out.status) {
        roll_back(installer, out);
        return out;
    }
    const auto rotated = m_ctx.clock.now();
    std::vector<std::string> destinations;
    for (const auto& f : plan.files) {
        destinations.push_back(f.destination);
    }
    for (const auto& problem : installer.rotate_backups(destinations, plan.backups)) {
        add_op(out, StageOp{"rotate", "backups", OpStatus::failed, problem, {}}, rotated);
    }
    if (plan.prune_images) {
        prune_images(plan, out);
    }
    return out;
}

}  // namespace stagehand::steps
