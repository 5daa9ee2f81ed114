#pragma once
// The fixture every integration test derives from: a temp folder, a unique compose project,
// free ports, revisions written on demand, codedeploy-sim runs, and a TearDown that removes
// the test's containers and checks that nothing of it is left running and that stagehand's
// state files are intact -- whatever the test itself did.

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "support/bundle.hpp"
#include "support/docker_host.hpp"
#include "support/sim.hpp"

namespace stagehand::integration {

class StackTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    // A stack of this test: project `m_project` + suffix, the test's state, log and install
    // folders, the compose command under test.
    StackSpec stack(std::vector<ServiceSpec> services, const std::string& suffix = "");
    // Writes the revision into <temp>/<name>.
    fs::path bundle(const StackSpec& stack, const std::string& name);
    // A whole deployment of bundle through the simulated agent (same root and group each time,
    // so later deployments see the earlier ones, as on a real instance).
    SimResult deploy(const fs::path& bundle, const std::vector<std::string>& env = {});
    // Arguments for `codedeploy-sim hook` of one of bundle's hooks, with a fresh deployment id.
    HookArgs hook_args(const fs::path& bundle, const std::string& event);

    // A free TCP port on this host (the stand-ins use the host network).
    int free_port();
    // Checks of every hook run: valid UTF-8, lines under 1 KB, nothing left open or running,
    // no SIGKILL needed.
    void expect_clean_hook(const nlohmann::json& hook) const;
    // A deployment that succeeded: BeforeInstall, AfterInstall and ValidateService each exit 0
    // with an "OK" verdict, clean output, a report saying so and a log file. Returns its id.
    std::string expect_deployed(const SimResult& run);
    // Every JSON file under the state folder parses; no temporary file is left behind.
    void expect_state_intact() const;
    // The report of one deployment (state_dir/reports/<id>.json), or null.
    nlohmann::json report(const std::string& deployment_id) const;
    // The full log of one deployment (log_dir/<id>.log).
    std::string log_file(const std::string& deployment_id) const;

    // The compose command the stacks use; parameterised suites set it in SetUp.
    std::string m_compose_command = "docker compose";
    fs::path m_dir;
    std::string m_project;
    DockerCli m_docker;
    Sim m_sim{""};
    // Other daemons whose containers TearDown must remove too (the DockerCli of a SecondDaemon).
    std::vector<DockerCli> m_other_daemons;

  private:
    std::vector<std::string> m_projects;
    std::set<int> m_ports;  // handed out already: never twice in one test
    int m_deployments = 0;
};

// A StackTest run once per compose generation (the parameter is the compose command).
class PerComposeTest : public StackTest, public ::testing::WithParamInterface<std::string> {
  protected:
    void SetUp() override {
        m_compose_command = GetParam();
        StackTest::SetUp();
    }
};

// The compose generations the deployment tests run under, for INSTANTIATE_TEST_SUITE_P.
std::vector<std::string> compose_generations();
// "docker compose" -> "v2", "docker-compose" -> "v1" (a valid test name suffix).
std::string generation_name(const ::testing::TestParamInfo<std::string>& info);

// Reads a whole file ("" when it cannot).
std::string read_text(const fs::path& path);

// Polls pred every 50 ms until it holds or limit passes; returns its last value.
bool wait_for(const std::function<bool()>& pred, Millis limit);

}  // namespace stagehand::integration
