#include "core/stage/plan.hpp"

#include <algorithm>
#include <ctime>

#include "core/load/units.hpp"
#include "core/stage/safety.hpp"
#include "util/text.hpp"

namespace stagehand::core {
namespace {

constexpr std::size_t k_sha_prefix = 12;

std::string describe_file(const FilePlan& f) {
    const std::string meta = format_mode(f.target.mode) + " " + f.owner + ":" + f.group + ", " +
                             format_size(f.target.size) + ", sha256 " +
                             f.target.sha256.substr(0, k_sha_prefix);
    switch (f.action()) {
        case FileAction::unchanged:
            return "unchanged " + f.destination + " (" + meta + "): not rewritten";
        case FileAction::create:
            return "install " + f.source + " -> " + f.destination + " (new file, " + meta + ")" +
                   (f.create_folder ? "; creates its folder" : "");
        case FileAction::replace:
            break;
    }
    return "install " + f.source + " -> " + f.destination + " (" + meta + "); replaces sha256 " +
           f.current->sha256.substr(0, k_sha_prefix) + ", kept in backups";
}

}  // namespace

FileAction FilePlan::action() const {
    if (!current) {
        return FileAction::create;
    }
    const bool same = current->sha256 == target.sha256 && current->mode == target.mode &&
                      current->uid == target.uid && current->gid == target.gid;
    return same ? FileAction::unchanged : FileAction::replace;
}

Ownership choose_ownership(std::optional<std::uint32_t> owner_uid,
                           std::optional<std::uint32_t> owner_primary_gid,
                           std::optional<std::uint32_t> group_gid,
                           const std::optional<FileFacts>& current, Ownership ours) {
    Ownership out = ours;
    if (owner_uid) {
        out.uid = *owner_uid;
    } else if (current) {
        out.uid = current->uid;
    }
    constexpr std::uint32_t k_unknown = static_cast<std::uint32_t>(-1);
    if (group_gid) {
        out.gid = *group_gid;
    } else if (owner_uid && owner_primary_gid && *owner_primary_gid != k_unknown) {
        out.gid = *owner_primary_gid;
    } else if (current) {
        out.gid = current->gid;
    }
    return out;
}

std::vector<std::string> describe_plan(const StagePlan& plan) {
    std::vector<std::string> lines;
    if (plan.stop) {
        lines.push_back("stop the running containers of compose project " + plan.project +
                        ", gracefully, in reverse start order: " +
                        (plan.stop_candidates.empty() ? std::string("(no services)")
                                                      : util::join(plan.stop_candidates, ", ")));
    }
    for (const auto& c : plan.clean) {
        lines.push_back(c.exists ? "clean " + c.folder + ": remove everything inside it"
                                 : "clean " + c.folder + ": does not exist, nothing to do");
    }
    for (const auto& f : plan.files) {
        lines.push_back(describe_file(f));
    }
    if (!plan.files.empty()) {
        lines.push_back("record the staged files in " + plan.state_dir +
                        "/staging-manifest.json; keep " + std::to_string(plan.backups) +
                        " backups per file");
    }
    if (plan.prune_images) {
        lines.push_back(
            "prune images of project " + plan.project + " that no container uses, keeping " +
            (plan.images.empty() ? std::string("(none named)") : util::join(plan.images, ", ")) +
            " and the last good deployment's images");
    }
    if (lines.empty()) {
        lines.emplace_back("nothing to stage");
    }
    return lines;
}

StopOrder stop_order(const std::vector<std::string>& running_services,
                     const std::vector<std::string>& start_order) {
    StopOrder out;
    for (auto it = start_order.rbegin(); it != start_order.rend(); ++it) {
        if (std::find(running_services.begin(), running_services.end(), *it) !=
            running_services.end()) {
            out.ordered.push_back(*it);
        }
    }
    for (const auto& service : running_services) {
        const bool known =
            std::find(start_order.begin(), start_order.end(), service) != start_order.end();
        const bool seen =
            std::find(out.unknown.begin(), out.unknown.end(), service) != out.unknown.end();
        if (!known && !seen) {
            out.unknown.push_back(service);
        }
    }
    return out;
}

std::string escape_destination(std::string_view destination) {
    if (!destination.empty() && destination.front() == '/') {
        destination.remove_prefix(1);
    }
    std::string out;
    for (const char c : destination) {
        if (c == '%') {
            out += "%25";
        } else if (c == '/') {
            out += "%2F";
        } else {
            out += c;
        }
    }
    return out;
}

std::string backup_name(std::chrono::system_clock::time_point when, std::string_view sha256) {
    using namespace std::chrono;
    const auto since = when.time_since_epoch();
    const std::time_t secs = static_cast<std::time_t>(duration_cast<seconds>(since).count());
    const auto millis = duration_cast<milliseconds>(since).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(millis));
    return std::string(buf) + ms + "Z-" + std::string(sha256.substr(0, k_sha_prefix));
}

std::vector<std::string> backups_to_remove(std::vector<std::string> names, int keep) {
    // Our names: 8 digits, 'T', 6 digits, '.', 3 digits, "Z-", hex.
    const auto ours = [](const std::string& n) {
        return n.size() > 22 && n[8] == 'T' && n[15] == '.' && n[19] == 'Z' && n[20] == '-' &&
               std::all_of(n.begin(), n.begin() + 8, [](char c) { return c >= '0' && c <= '9'; });
    };
    names.erase(std::remove_if(names.begin(), names.end(), [&](const auto& n) { return !ours(n); }),
                names.end());
    std::sort(names.begin(), names.end());
    const auto keep_n = static_cast<std::size_t>(std::max(keep, 0));
    if (names.size() <= keep_n) {
        return {};
    }
    names.resize(names.size() - keep_n);
    return names;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point when) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace stagehand::core
