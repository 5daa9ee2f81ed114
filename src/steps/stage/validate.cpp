// Step 1 of staging: every check before anything is touched. All problems are collected
// (like a compiler) so one run shows the operator everything to fix.

#include <cerrno>

#include "core/stage/safety.hpp"
#include "os/fs/mountinfo.hpp"
#include "os/fs/users.hpp"
#include "steps/stage/host_checks.hpp"
#include "steps/stage/stage_step.hpp"
#include "util/sha256.hpp"

namespace stagehand::steps {
namespace {

using core::RuleViolation;

class Validator {
  public:
    Validator(os::FileSystem& fs, const StageInputs& in, StageValidation& out)
        : m_fs(fs), m_in(in), m_out(out) {}

    util::Status prepare();
    util::Status check_config_file();
    util::Status check_clean(std::size_t i);
    util::Status check_file(std::size_t i);

  private:
    void problem(const core::SourceMark& at, std::string key, const RuleViolation& v) {
        m_out.problems.push_back(core::Diagnostic{at, std::move(key), v.text(), ""});
    }
    // Runs a host check; records its violation. Ok(true) when the path passed.
    util::Result<bool> record(const MaybeViolation& check, const core::SourceMark& at,
                              const std::string& key) {
        if (!check) {
            return check.error();
        }
        if (*check) {
            problem(at, key, **check);
            return false;
        }
        return true;
    }
    util::Result<bool> check_source(const core::StageFile& f, const std::string& key);
    util::Result<bool> check_destination(const core::StageFile& f, const std::string& key);
    bool check_ownership(const core::StageFile& f, const std::string& key);
    util::Status add_file_plan(const core::StageFile& f);
    util::Result<core::FileFacts> facts_of(const std::string& path);

    os::FileSystem& m_fs;
    const StageInputs& m_in;
    StageValidation& m_out;
    std::vector<core::ProtectedFolder> m_protect;
    std::vector<os::MountEntry> m_mounts;
    os::UserDb m_users;
    std::string m_bundle_real;
};

util::Status Validator::prepare() {
    for (const auto& [path, what] :
         {std::pair{m_in.state_dir, "state_dir"}, std::pair{m_in.log_dir, "log_dir"}}) {
        if (path.empty()) {
            continue;
        }
        m_protect.push_back({core::lexically_normal(path), what});
        // A symlinked state_dir (/var/lib -> /data/lib) must be protected where it really is.
        if (auto real = m_fs.real_path(path); real && *real != m_protect.back().path) {
            m_protect.push_back({*real, what});
        }
    }
    if (!m_in.stage.clean.empty()) {
        auto mounts = os::load_mountinfo(m_fs, m_in.mountinfo_path);
        if (!mounts) {
            return mounts.error();
        }
        m_mounts = std::move(mounts).value();
    }
    if (auto users = os::UserDb::load(m_fs, m_in.etc_dir); users) {
        m_users = std::move(users).value();
    } else {
        for (const auto& f : m_in.stage.files) {
            if (f.owner || f.group) {
                return users.error();  // names cannot be checked without the files
            }
        }
    }
    if (!m_in.stage.files.empty()) {
        auto real = m_fs.real_path(m_in.bundle_dir);
        if (!real) {
            return real.error();
        }
        m_bundle_real = std::move(real).value();
    }
    return {};
}

util::Status Validator::check_config_file() {
    if (!m_in.as_root || m_in.config_path.empty()) {
        return {};
    }
    auto ok = record(check_not_writable_by_others(m_fs, m_in.config_path),
                     core::SourceMark{m_in.config_path, 0, 0}, "config");
    return ok ? util::Status{} : util::Status{ok.error()};
}

util::Status Validator::check_clean(std::size_t i) {
    const std::string& folder = m_in.stage.clean[i];
    const core::SourceMark at =
        i < m_in.stage.clean_marks.size() ? m_in.stage.clean_marks[i] : core::SourceMark{};
    const std::string key = "stage.clean[" + std::to_string(i) + "]";
    if (auto v = core::check_clean_folder(folder, m_protect)) {
        problem(at, key, *v);
        return {};
    }
    auto no_link = record(check_no_symlink(m_fs, folder), at, key);
    if (!no_link || !*no_link) {
        return no_link ? util::Status{} : util::Status{no_link.error()};
    }
    auto type = check_clean_type(m_fs, folder);
    if (!type) {
        return type.error();
    }
    if (type->second) {
        problem(at, key, *type->second);
        return {};
    }
    if (auto v = check_not_mount_point(m_mounts, folder)) {
        problem(at, key, *v);
        return {};
    }
    m_out.plan.clean.push_back(core::CleanPlan{folder, type->first});
    return {};
}

util::Result<bool> Validator::check_source(const core::StageFile& f, const std::string& key) {
    if (auto v = core::check_source(f.source)) {
        problem(f.mark, key + ".source", *v);
        return false;
    }
    auto ok = record(check_source_file(m_fs, m_bundle_real, f.source), f.mark, key + ".source");
    if (!ok || !*ok || !m_in.as_root) {
        return ok;
    }
    return record(check_not_writable_by_others(m_fs, os::join_path(m_bundle_real, f.source)),
                  f.mark, key + ".source");
}

util::Result<bool> Validator::check_destination(const core::StageFile& f, const std::string& key) {
    const std::string dkey = key + ".destination";
    if (auto v = core::check_destination(f.destination, m_protect)) {
        problem(f.mark, dkey, *v);
        return false;
    }
    for (const auto& other : m_out.plan.files) {
        if (other.destination == f.destination) {
            problem(f.mark, dkey,
                    RuleViolation{"duplicate-destination",
                                  f.destination + " is the destination of two files"});
            return false;
        }
    }
    auto ok = record(check_no_symlink(m_fs, f.destination), f.mark, dkey);
    if (!ok || !*ok) {
        return ok;
    }
    return record(check_destination_type(m_fs, f.destination), f.mark, dkey);
}

bool Validator::check_ownership(const core::StageFile& f, const std::string& key) {
    bool ok = true;
    if (f.mode) {
        if (auto v = core::check_mode(*f.mode)) {
            problem(f.mark, key + ".mode", *v);
            ok = false;
        }
    }
    // The owner/group value's own line (set by the loader), not the list item's.
    const auto at = [&](const core::SourceMark& own) { return own.line > 0 ? own : f.mark; };
    if (f.owner && !m_users.find_user(*f.owner)) {
        problem(at(f.owner_mark), key + ".owner",
                RuleViolation{"unknown-owner", "user \"" + *f.owner + "\" is not in " +
                                                   os::join_path(m_in.etc_dir, "passwd") +
                                                   " (for an LDAP/SSSD account give its uid)"});
        ok = false;
    }
    if (f.group && !m_users.find_group(*f.group)) {
        problem(at(f.group_mark), key + ".group",
                RuleViolation{"unknown-group", "group \"" + *f.group + "\" is not in " +
                                                   os::join_path(m_in.etc_dir, "group") +
                                                   " (for an LDAP/SSSD group give its gid)"});
        ok = false;
    }
    return ok;
}

util::Status Validator::check_file(std::size_t i) {
    const core::StageFile& f = m_in.stage.files[i];
    const std::string key = "stage.files[" + std::to_string(i) + "]";
    auto source_ok = check_source(f, key);
    if (!source_ok) {
        return source_ok.error();
    }
    auto dest_ok = check_destination(f, key);
    if (!dest_ok) {
        return dest_ok.error();
    }
    const bool owner_ok = check_ownership(f, key);
    if (!*source_ok || !*dest_ok || !owner_ok) {
        return {};
    }
    return add_file_plan(f);
}

util::Result<core::FileFacts> Validator::facts_of(const std::string& path) {
    auto content = m_fs.read_file(path);
    if (!content) {
        return content.error();
    }
    auto info = m_fs.lstat(path);
    if (!info) {
        return info.error();
    }
    return core::FileFacts{util::sha256_hex(*content), info->mode, info->uid, info->gid,
                           static_cast<std::int64_t>(content->size())};
}

util::Status Validator::add_file_plan(const core::StageFile& f) {
    core::FilePlan plan;
    plan.source = os::join_path(m_bundle_real, f.source);
    plan.destination = f.destination;
    auto source = facts_of(plan.source);
    if (!source) {
        return source.error();
    }
    if (auto exists = m_fs.lstat(f.destination); exists) {
        auto current = facts_of(f.destination);
        if (!current) {
            return current.error();
        }
        plan.current = *current;
    } else if (exists.error().code != ENOENT) {
        return exists.error();
    }
    auto folder = m_fs.lstat(os::parent_path(f.destination));
    if (!folder && folder.error().code != ENOENT) {
        return folder.error();
    }
    plan.create_folder = !folder;
    const auto owner = f.owner ? m_users.find_user(*f.owner) : std::nullopt;
    const auto group = f.group ? m_users.find_group(*f.group) : std::nullopt;
    const auto ids =
        core::choose_ownership(owner ? std::optional<std::uint32_t>(owner->uid) : std::nullopt,
                               owner ? std::optional<std::uint32_t>(owner->gid) : std::nullopt,
                               group ? std::optional<std::uint32_t>(group->gid) : std::nullopt,
                               plan.current, core::Ownership{m_in.uid, m_in.gid});
    plan.target = *source;
    plan.target.mode = f.mode.value_or(source->mode);
    plan.target.uid = ids.uid;
    plan.target.gid = ids.gid;
    plan.owner = m_users.user_name(ids.uid);
    plan.group = m_users.group_name(ids.gid);
    m_out.plan.files.push_back(std::move(plan));
    return {};
}

}  // namespace

util::Result<StageValidation> StageStep::validate() {
    StageValidation out;
    Validator v(m_fs, m_in, out);
    if (auto st = v.prepare(); !st) {
        return st.error();
    }
    if (auto st = v.check_config_file(); !st) {
        return st.error();
    }
    for (std::size_t i = 0; i < m_in.stage.clean.size(); ++i) {
        if (auto st = v.check_clean(i); !st) {
            return st.error();
        }
    }
    for (std::size_t i = 0; i < m_in.stage.files.size(); ++i) {
        if (auto st = v.check_file(i); !st) {
            return st.error();
        }
    }
    auto& plan = out.plan;
    plan.project = m_in.project;
    plan.stop = m_in.stage.stop;
    plan.stop_candidates.assign(m_in.start_order.rbegin(), m_in.start_order.rend());
    plan.backups = m_in.stage.backups;
    plan.prune_images = m_in.stage.prune_images;
    plan.images = m_in.images;
    plan.state_dir = m_in.state_dir;
    return out;
}

}  // namespace stagehand::steps
