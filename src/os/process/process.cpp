#include "os/process/process.hpp"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace stagehand::os {

namespace {

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string find_executable(const std::string& name) {
    if (name.empty()) {
        return {};
    }
    if (name.find('/') != std::string::npos) {
        return is_executable_file(name) ? name : std::string{};
    }
    std::string dirs;
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        dirs = path;
    }
    // The CodeDeploy agent's PATH may lack these (SPEC section 2).
    dirs += ":/usr/bin:/usr/local/bin";
    std::string_view rest(dirs);
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string_view dir = rest.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        // An empty or relative entry would mean "the current directory", which the agent
        // sets to wherever it likes: never search it.
        if (dir.empty() || dir.front() != '/') {
            continue;
        }
        std::string candidate(dir);
        candidate += '/';
        candidate += name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return {};
}

std::string ProcessOutcome::describe() const {
    if (timed_out) {
        return "timed out";
    }
    if (cancelled) {
        return "cancelled";
    }
    if (!stopped.empty()) {
        return "stopped: " + stopped;
    }
    if (signal != 0) {
        const char* abbrev = ::sigabbrev_np(signal);
        return abbrev != nullptr ? "killed by SIG" + std::string(abbrev)
                                 : "killed by signal " + std::to_string(signal);
    }
    return "exited with " + std::to_string(exit_code);
}

}  // namespace stagehand::os
