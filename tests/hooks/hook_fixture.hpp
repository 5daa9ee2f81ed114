#pragma once
// The fixture of the hook tests: a temp folder with a bundle (appspec.yml, stagehand.yml,
// docker-compose.yml) whose state_dir and log_dir are inside it, the real hook executables
// run on it with stdout and stderr on one pipe (the order an operator's terminal shows), and
// the checks every run's output must pass. Mounts made by a test are undone in TearDown.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace stagehand::hooks_test {

namespace fs = std::filesystem;

struct HookRun {
    int status = -1;  // exit status; -1 when killed by a signal
    int signal = 0;
    std::string output;  // stdout and stderr interleaved, as written
    std::vector<std::string> lines;

    std::string last_line() const { return lines.empty() ? "" : lines.back(); }
    bool has_line_containing(const std::string& part) const;
    // Index of the first line containing `part`, or -1.
    int line_index(const std::string& part) const;
};

class HookTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    // Runs `hook` ("before-install", ...) with --bundle and `args`; DOCKER_HOST names a socket
    // that does not exist, DEPLOYMENT_ID is m_deployment_id, plus `env` ("K=V").
    HookRun run(const std::string& hook, std::vector<std::string> args = {},
                const std::vector<std::string>& env = {});
    // The environment run() adds to ours.
    std::vector<std::string> hook_env() const;
    // The absolute path of a hook executable of the build.
    static std::string hook_path(const std::string& hook);

    // Rewrites a bundle file (raw bytes).
    void write_bundle_file(const std::string& name, const std::string& content);
    // stagehand.yml: state_dir and log_dir in the temp folder, then `extra` YAML.
    void write_config(const std::string& extra = "");
    // Mounts a tmpfs at `at` (created) with `options` ("size=64k", "ro"); skips the test when
    // that is not allowed (not root).
    void mount_tmpfs(const fs::path& at, const std::string& options);
    // Fills the filesystem holding `folder` until a write fails with ENOSPC.
    static void fill_up(const fs::path& folder);

    // Every line valid UTF-8 with no control character (tab included), shorter than 1 KB.
    static void expect_clean_lines(const HookRun& run);
    // Clean lines, the last one is the verdict, and no other line starts like one unless it
    // is a copy of it.
    static void expect_clean_output(const HookRun& run);

    fs::path m_dir;
    fs::path m_bundle;
    fs::path m_state;
    fs::path m_log;
    std::string m_deployment_id = "d-HOOKTEST";

  private:
    std::vector<fs::path> m_mounts;
};

std::string read_file(const fs::path& path);
void write_file(const fs::path& path, const std::string& content);
// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or > U+10FFFF).
bool valid_utf8(const std::string& text);

// The hooks.
inline const std::vector<std::string> k_hooks{"before-install", "after-install",
                                              "validate-service"};

}  // namespace stagehand::hooks_test
