#include "sim/installer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sim/unique_fd.hpp"

namespace stagehand::agent {

namespace {

namespace fs = std::filesystem;
using util::Error;
using util::Status;

// Ruby's "<strerror> @ <function> - <path>" wording of a failed system call.
Error sys_error(const std::string& function, const std::string& path, int err) {
    return Error{std::string(std::strerror(err)) + " @ " + function + " - " + path, err};
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;  // File.exist? follows symlinks
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_symlink(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// File.join: one '/' between the parts.
std::string ruby_join(std::string base, std::string_view name) {
    while (base.size() > 1 && base.back() == '/') {
        base.pop_back();
    }
    while (!name.empty() && name.front() == '/') {
        name.remove_prefix(1);
    }
    return base + (base == "/" ? "" : "/") + std::string(name);
}

// File.dirname, trailing slashes ignored.
std::string ruby_dirname(std::string path) {
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, path.find_last_not_of('/', slash) + 1);
}

// File.expand_path: absolute, lexically normal, no trailing slash.
std::string expand_path(const std::string& path) {
    std::string out = fs::absolute(path).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') {
        out.pop_back();
    }
    return out;
}

struct Instruction {
    bool is_copy = true;
    std::string source;  // copy only
    std::string target;
};

// install_instruction.rb, CommandBuilder: the instruction list with its duplicate checks.
class Builder {
  public:
    Status copy(const std::string& source, const std::string& destination) {
        const std::string target = expand_path(destination);
        if (m_copies.count(target) != 0) {
            return Error{
                "The deployment failed because the application specification file "
                "specifies two source files named " +
                source + " and " + m_copies[target] + " for the same destination (" + target +
                "). Remove one of the source file paths from the AppSpec file, and "
                "then try again."};
        }
        if (m_dirs.count(target) != 0) {
            return Error{
                "The deployment failed because the application specification file "
                "calls for installing the file " +
                source + ", but a file with that name already exists at the location (" + target +
                "). Update your AppSpec file or directory structure, and "
                "then try again."};
        }
        m_list.push_back(Instruction{true, source, target});
        m_copies[target] = source;
        return {};
    }

    Status mkdir(const std::string& destination) {
        const std::string target = expand_path(destination);
        if (m_copies.count(target) != 0) {
            return Error{
                "The deployment failed because the application specification file "
                "includes an mkdir command more than once for the same destination "
                "path (" +
                target + ") from (" + m_copies[target] +
                "). Update the files section of the AppSpec file, and then try again."};
        }
        if (m_dirs.insert(target).second) {
            m_list.push_back(Instruction{false, "", target});
        }
        return {};
    }

    const std::vector<Instruction>& list() const { return m_list; }

  private:
    std::vector<Instruction> m_list;
    std::map<std::string, std::string> m_copies;
    std::set<std::string> m_dirs;
};

// Generates the copy instructions (installer.rb, generate_instructions and helpers).
class Planner {
  public:
    Planner(std::string behavior, InstallReport& report)
        : m_behavior(std::move(behavior)), m_report(report) {}

    Status add(const std::string& archive, const FileEntry& entry) {
        const std::string source = ruby_join(archive, entry.source);
        if (is_directory(source)) {
            if (auto s = fill_in_missing_ancestors(entry.destination); !s) {
                return s;
            }
            return directory_copy(source, entry.destination, 0);
        }
        const std::string target =
            ruby_join(entry.destination, fs::path(source).filename().string());
        if (auto s = fill_in_missing_ancestors(target); !s) {
            return s;
        }
        return normal_copy(source, target);
    }

    const Builder& builder() const { return m_builder; }

  private:
    Status fill_in_missing_ancestors(const std::string& destination) {
        std::vector<std::string> missing;
        for (std::string parent = ruby_dirname(destination);
             !exists(parent) && parent != "." && parent != "/"; parent = ruby_dirname(parent)) {
            missing.insert(missing.begin(), parent);
        }
        for (const auto& dir : missing) {
            if (auto s = m_builder.mkdir(dir); !s) {
                return s;
            }
        }
        return {};
    }

    Status directory_copy(const std::string& source, const std::string& destination, int depth) {
        if (depth > 64) {
            return Error{"File name too long - " + source};  // a symlink cycle in the bundle
        }
        if (!is_directory(destination)) {
            if (auto s = m_builder.mkdir(destination); !s) {
                return s;
            }
        }
        std::vector<std::string> names;
        std::error_code ec;
        for (const auto& item : fs::directory_iterator(source, ec)) {
            names.push_back(item.path().filename().string());
        }
        if (ec) {
            return sys_error("dir_initialize", source, ec.value());
        }
        std::sort(names.begin(), names.end());  // Dir.entries order is the file system's
        for (const auto& name : names) {
            const std::string from = ruby_join(source, name);
            const std::string to = ruby_join(destination, name);
            auto s =
                is_directory(from) ? directory_copy(from, to, depth + 1) : normal_copy(from, to);
            if (!s) {
                return s;
            }
        }
        return {};
    }

    Status normal_copy(const std::string& source, const std::string& destination) {
        if (!exists(destination)) {
            return m_builder.copy(source, destination);
        }
        if (m_behavior == "DISALLOW") {
            return Error{
                "The deployment failed because a specified file already exists at "
                "this location: " +
                destination};
        }
        if (m_behavior == "OVERWRITE") {
            return m_builder.copy(source, destination);
        }
        m_report.retained.push_back(destination);  // RETAIN
        return {};
    }

    std::string m_behavior;
    InstallReport& m_report;
    Builder m_builder;
};

Status write_line(int fd, const std::string& line) {
    const std::string text = line + "\n";
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        return sys_error("io_write", line, errno);
    }
    return {};
}

// FileUtils.copy(source, target, preserve: true): content, then times, owner, mode.
Status copy_file(const std::string& source, const std::string& target) {
    UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!in.valid() || ::fstat(in.get(), &st) != 0) {
        return sys_error("rb_sysopen", source, errno);
    }
    UniqueFd out(
        ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777));
    if (!out.valid()) {
        return sys_error("rb_sysopen", target, errno);
    }
    char buffer[65536];
    for (ssize_t n; (n = ::read(in.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0 || ::write(out.get(), buffer, static_cast<std::size_t>(n)) != n) {
            return sys_error("io_write", target, errno);
        }
    }
    const timespec times[2] = {st.st_atim, st.st_mtim};
    ::futimens(out.get(), times);
    if (::fchown(out.get(), st.st_uid, st.st_gid) != 0) {
        st.st_mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);  // as FileUtils on EPERM
    }
    ::fchmod(out.get(), st.st_mode & 07777);
    return {};
}

Status execute(const Instruction& step, int cleanup_fd, InstallReport& report) {
    if (!step.is_copy) {
        if (::mkdir(step.target.c_str(), 0777) != 0) {
            return sys_error("dir_s_mkdir", step.target, errno);
        }
        report.made_dirs.push_back(step.target);
        return write_line(cleanup_fd, step.target);  // mkdir records after the act
    }
    if (auto s = write_line(cleanup_fd, step.target); !s) {  // copy records before the act
        return s;
    }
    report.copied.push_back(step.target);
    if (is_symlink(step.source)) {
        std::vector<char> link(PATH_MAX + 1, '\0');
        const ssize_t n = ::readlink(step.source.c_str(), link.data(), PATH_MAX);
        if (n < 0 || ::symlink(std::string(link.data(), static_cast<std::size_t>(n)).c_str(),
                               step.target.c_str()) != 0) {
            return sys_error("rb_file_s_symlink", step.target, errno);
        }
        return {};
    }
    return copy_file(step.source, step.target);
}

// Replays the previous Install's cleanup file in reverse, then deletes it.
Status run_cleanup(const fs::path& cleanup_file, InstallReport& report) {
    std::ifstream file(cleanup_file);
    if (!file) {
        return {};
    }
    std::stringstream text;
    text << file.rdbuf();
    std::vector<std::string> lines;
    std::string all = text.str();
    for (std::size_t start = 0, nl; (nl = all.find('\n', start)) != std::string::npos;
         start = nl + 1) {
        lines.push_back(all.substr(start, nl - start));  // an unterminated last line is dropped
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const std::string& path = *it;
        if (is_symlink(path) || (exists(path) && !is_directory(path))) {
            if (::unlink(path.c_str()) != 0) {
                return sys_error("apply2files", path, errno);
            }
            report.removed.push_back(path);
        } else if (is_directory(path)) {
            if (::rmdir(path.c_str()) == 0) {
                report.removed.push_back(path);
            } else if (errno != ENOTEMPTY && errno != EEXIST) {
                return sys_error("dir_s_rmdir", path, errno);  // non-empty ones are kept
            }
        }
    }
    ::unlink(cleanup_file.c_str());
    return {};
}

void write_instructions(const fs::path& path, const std::vector<Instruction>& list) {
    nlohmann::ordered_json instructions = nlohmann::ordered_json::array();
    for (const auto& step : list) {
        instructions.push_back(
            step.is_copy ? nlohmann::ordered_json{{"type", "copy"},
                                                  {"source", step.source},
                                                  {"destination", step.target}}
                         : nlohmann::ordered_json{{"type", "mkdir"}, {"directory", step.target}});
    }
    std::ofstream(path) << nlohmann::ordered_json{{"instructions", instructions}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

util::Result<InstallReport> install_revision(const InstallRequest& request,
                                             const Appspec& appspec) {
    const std::string behavior = appspec.file_exists_behavior.value_or(request.default_behavior);
    if (behavior != "DISALLOW" && behavior != "OVERWRITE" && behavior != "RETAIN") {
        return Error{
            "The deployment failed because an invalid option was specified for "
            "fileExistsBehavior: " +
            behavior + ". Valid options include OVERWRITE, RETAIN, and DISALLOW."};
    }
    std::error_code ec;
    fs::create_directories(request.instructions_dir, ec);
    InstallReport report;
    const fs::path cleanup = request.instructions_dir / (request.group_id + "-cleanup");
    if (auto s = run_cleanup(cleanup, report); !s) {
        return s.error();
    }
    Planner planner(behavior, report);
    for (const auto& entry : appspec.files) {
        if (auto s = planner.add(request.archive_dir.string(), entry); !s) {
            return s.error();
        }
    }
    const auto& list = planner.builder().list();
    write_instructions(request.instructions_dir / (request.group_id + "-install.json"), list);
    UniqueFd cleanup_fd(::open(cleanup.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!cleanup_fd.valid()) {
        return sys_error("rb_sysopen", cleanup.string(), errno);
    }
    for (const auto& step : list) {
        if (auto s = execute(step, cleanup_fd.get(), report); !s) {
            return s.error();
        }
    }
    return report;
}

}  // namespace stagehand::agent
