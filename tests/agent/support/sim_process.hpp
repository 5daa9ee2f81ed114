#pragma once
// Test support for agent_sim_tests: temp folders, hook scripts, and running the
// codedeploy-sim executable as a child with a deadline.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stagehand::agent::sim_test {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with its content on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return m_path; }
    fs::path operator/(const std::string& name) const { return m_path / name; }

  private:
    fs::path m_path;
};

// Writes text to path (parents created) with the given mode.
void write_file(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644));

// Writes "#!/bin/sh\n<body>" as an executable (0755) script; returns its path.
fs::path write_script(const fs::path& path, const std::string& body);

// The whole file, or "" when it cannot be read.
std::string read_file(const fs::path& path);

struct SimRun {
    int exit_status = -1;  // codedeploy-sim's exit status (-1: killed or never ran)
    std::string out;
    std::string err;
    std::vector<nlohmann::json> objects;  // stdout, one JSON object per line

    // The last object printed (the hook result or the deployment summary).
    const nlohmann::json& last() const;
    // Every printed object with "type" == type, in order.
    std::vector<nlohmann::json> of_type(const std::string& type) const;
};

// A started codedeploy-sim whose output is not collected yet.
struct SimProcess {
    pid_t pid = -1;
    int out_fd = -1;
    int err_fd = -1;
};

// Starts CODEDEPLOY_SIM with args; as_user: setuid to this user first (tests running as root).
SimProcess start_sim(const std::vector<std::string>& args,
                     std::optional<uid_t> as_user = std::nullopt);

// Collects the output and exit status. A run that exceeds limit is killed (exit_status -1).
SimRun finish_sim(const SimProcess& process, std::chrono::seconds limit = std::chrono::seconds(60));

// start_sim + finish_sim.
SimRun run_sim(const std::vector<std::string>& args, std::optional<uid_t> as_user = std::nullopt,
               std::chrono::seconds limit = std::chrono::seconds(60));

// Polls pred every 10 ms until it holds or limit passes; returns its last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit);

// True while a process with this pid exists (and is not a zombie).
bool process_alive(pid_t pid);

}  // namespace stagehand::agent::sim_test
