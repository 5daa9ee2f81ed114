// The command and environment the agent builds for a script.

#include "sim/command.hpp"

#include <gtest/gtest.h>

namespace stagehand::agent {
namespace {

const std::vector<std::string> k_env =
    hook_environment(DeploymentVars{"BeforeInstall", "d-AB1CDEF23", "app", "group", "gid"}, {});

TEST(CommandTest, PlainPathIsExecutedDirectly) {
    const auto command =
        agent_command(AgentVersion::v1, "/opt/b/hooks/before-install", std::nullopt, false, k_env);
    EXPECT_EQ(command.argv, std::vector<std::string>{"/opt/b/hooks/before-install"});
}

TEST(CommandTest, V1SplitsAPathWithSpaces) {
    // Ruby's spawn splits a command string without metacharacters at whitespace.
    const auto command =
        agent_command(AgentVersion::v1, "/opt/my bundle/hook", std::nullopt, false, k_env);
    EXPECT_EQ(command.argv, (std::vector<std::string>{"/opt/my", "bundle/hook"}));
    const auto v2 =
        agent_command(AgentVersion::v2, "/opt/my bundle/hook", std::nullopt, false, k_env);
    EXPECT_EQ(v2.argv, std::vector<std::string>{"/opt/my bundle/hook"});
}

TEST(CommandTest, V1SendsShellCharactersThroughSh) {
    const auto command =
        agent_command(AgentVersion::v1, "/opt/b/hook$1", std::nullopt, false, k_env);
    EXPECT_EQ(command.argv, (std::vector<std::string>{"/bin/sh", "-c", "/opt/b/hook$1"}));
}

TEST(CommandTest, RunasGoesThroughSuFoundOnPath) {
    const auto command =
        agent_command(AgentVersion::v1, "/opt/b/hook", std::string("root"), false, k_env);
    ASSERT_EQ(command.argv.size(), 4u) << command.error;
    EXPECT_EQ(command.argv[0].substr(command.argv[0].rfind('/')), "/su");
    EXPECT_EQ(command.argv[1], "root");
    EXPECT_EQ(command.argv[2], "-c");
    EXPECT_EQ(command.argv[3], "/opt/b/hook");
}

TEST(CommandTest, MissingSuIsRubysEnoent) {
    const auto env = hook_environment(DeploymentVars{}, {"PATH=/nonexistent"});
    const auto command =
        agent_command(AgentVersion::v1, "/opt/b/hook", std::string("app"), false, env);
    EXPECT_TRUE(command.argv.empty());
    EXPECT_EQ(command.error, "No such file or directory - su");
}

TEST(CommandTest, EnvironmentHasTheAgentsVariablesAndExtrasOverride) {
    const auto env = hook_environment(DeploymentVars{"AfterInstall", "d-1", "a", "g", "gid"},
                                      {"EXTRA=1", "DEPLOYMENT_ID=d-2"});
    EXPECT_EQ(env, (std::vector<std::string>{
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "LIFECYCLE_EVENT=AfterInstall", "DEPLOYMENT_ID=d-2", "APPLICATION_NAME=a",
                       "DEPLOYMENT_GROUP_NAME=g", "DEPLOYMENT_GROUP_ID=gid", "EXTRA=1"}));
}

// Issue 13.6: the agent's own environment reaches the hook (codedeploy-local passes the
// caller's whole environment), minus the AWS credentials the agent removes; the deployment
// variables and extras win over inherited values.
TEST(CommandTest, EnvironmentStartsFromTheAgentsOwn) {
    const std::vector<std::string> agent_env{"PATH=/agent/bin",
                                             "HOME=/root",
                                             "NO_COLOR=1",
                                             "DEPLOYMENT_ID=stale",
                                             "AWS_ACCESS_KEY_ID=AKIA",
                                             "AWS_SECRET_ACCESS_KEY=s",
                                             "AWS_CREDENTIAL_FILE=/c",
                                             "AWS_REGION=eu-west-1"};
    const auto env = hook_environment(DeploymentVars{"AfterInstall", "d-1", "a", "g", "gid"},
                                      {"EXTRA=1"}, agent_env);
    EXPECT_EQ(env, (std::vector<std::string>{
                       "PATH=/agent/bin", "HOME=/root", "NO_COLOR=1", "DEPLOYMENT_ID=d-1",
                       "AWS_REGION=eu-west-1", "LIFECYCLE_EVENT=AfterInstall", "APPLICATION_NAME=a",
                       "DEPLOYMENT_GROUP_NAME=g", "DEPLOYMENT_GROUP_ID=gid", "EXTRA=1"}));
}

}  // namespace
}  // namespace stagehand::agent
