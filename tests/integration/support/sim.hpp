#pragma once
// Runs stagehand's hooks through codedeploy-sim (tests/agent), the way the CodeDeploy agent
// runs them, and returns the simulator's JSON output parsed.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/command.hpp"

namespace stagehand::integration {

namespace fs = std::filesystem;

struct SimResult {
    CommandResult run;                    // codedeploy-sim's own exit status and output
    std::vector<nlohmann::json> objects;  // stdout, one JSON object per line

    // The deployment summary ("type":"summary"); an empty object when there is none.
    const nlohmann::json& summary() const;
    // The first hook object of `event`; an empty object when that event ran no script.
    const nlohmann::json& hook(const std::string& event) const;
    // Every "type":"hook" object, in the order they ran.
    std::vector<nlohmann::json> hooks() const;
    // The lone hook object of a `codedeploy-sim hook` run.
    const nlohmann::json& only_hook() const;
    // Everything the simulator printed, for assertion messages.
    std::string dump() const;
};

struct DeployArgs {
    fs::path bundle;
    fs::path root;  // the agent's deployment root (per test)
    std::string application;
    std::string group = "dg";
    std::string deployment_id;     // empty: the simulator makes one up
    std::vector<std::string> env;  // extra hook environment, "K=V"
};

struct HookArgs {
    fs::path script;  // absolute path of the hook executable inside its bundle
    std::string event;
    int timeout_s = 300;  // the agent's timeout for this script
    std::string deployment_id;
    std::string agent = "v1";
    std::vector<std::string> env;
    fs::path scripts_log;  // empty: none
    std::string runas;     // appspec `runas`: run through `su USER -c` as the agent does
};

class Sim {
  public:
    explicit Sim(fs::path executable) : m_executable(std::move(executable)) {}

    // `codedeploy-sim deploy`; a run longer than `limit` is ended (and the test fails on it).
    SimResult deploy(const DeployArgs& args, Millis limit = Millis(300000)) const;
    // `codedeploy-sim hook`, started in the background; finish() collects it.
    Child start_hook(const HookArgs& args) const;
    static SimResult finish(Child& child, Millis limit = Millis(300000));
    SimResult hook(const HookArgs& args, Millis limit = Millis(300000)) const;

  private:
    fs::path m_executable;
};

// The hook's verdict: the last [stdout] entry of the agent's tail, without the prefix (the
// agent does not keep stdout/stderr interleaving).
std::string verdict_of(const nlohmann::json& hook);

}  // namespace stagehand::integration
