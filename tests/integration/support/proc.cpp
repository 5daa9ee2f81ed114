#include "support/proc.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/command.hpp"

namespace stagehand::integration {

namespace fs = std::filesystem;

namespace {

std::string cmdline_of(const fs::path& proc_dir) {
    std::string text = read_proc_file((proc_dir / "cmdline").string());
    for (char& c : text) {
        c = c == '\0' ? ' ' : c;
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::string read_proc_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return "";
    }
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

std::vector<ProcessInfo> processes_mentioning(const std::string& token) {
    std::vector<ProcessInfo> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == ::getpid() || !running(pid)) {
            continue;
        }
        const std::string cmdline = cmdline_of(entry.path());
        if (cmdline.find(token) != std::string::npos) {
            found.push_back({pid, cmdline});
        }
    }
    return found;
}

pid_t flock_holder(const std::string& path) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
        return 0;
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return 0;
    }
    // "1: FLOCK  ADVISORY  WRITE 12345 fd:00:1234567 0 EOF" (device in hex, inode decimal).
    std::ifstream locks("/proc/locks");
    for (std::string line; std::getline(locks, line);) {
        std::istringstream fields(line);
        std::string id, kind, advisory, mode, pid, file;
        fields >> id >> kind;
        if (kind == "->") {  // a blocked waiter: "1: -> FLOCK ADVISORY WRITE ..."
            continue;
        }
        fields >> advisory >> mode >> pid >> file;
        const auto colon = file.rfind(':');
        if (kind != "FLOCK" || mode != "WRITE" || colon == std::string::npos) {
            continue;
        }
        if (file.substr(colon + 1) == std::to_string(info.st_ino)) {
            return static_cast<pid_t>(std::stol(pid));
        }
    }
    return 0;
}

std::string describe(const std::vector<ProcessInfo>& processes) {
    std::string text;
    for (const auto& p : processes) {
        text += std::to_string(p.pid) + " " + p.cmdline.substr(0, 200) + "\n";
    }
    return text;
}

}  // namespace stagehand::integration
