// The hooks under what the real CodeDeploy agent was measured to do beyond the clean case
// (issue 13): `./` locations, su's SIGKILL 2 s after the SIGTERM under `runas`, the verdict
// once and last in scripts.log, a noisy environment and inherited descriptors.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <sstream>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

using std::chrono::milliseconds;

const std::vector<std::string> k_small{"--peak-mib", "24",  "--steady-mib", "16",
                                       "--ramp-s",   "0.3", "--cpu-s",      "0.1"};

// The entries of one event in a scripts.log ("<date> <time> [stdout]text"), without the date.
std::vector<std::string> event_entries(const std::string& log, const std::string& event) {
    std::vector<std::string> out;
    bool inside = false;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        const auto entry = line.size() > 20 ? line.substr(20) : line;
        if (entry.rfind("LifecycleEvent - ", 0) == 0) {
            inside = entry == "LifecycleEvent - " + event;
        } else if (inside) {
            out.push_back(entry);
        }
    }
    return out;
}

class AgentConditionsTest : public StackTest {
  protected:
    std::string scripts_log(const SimResult& run) const {
        return read_text(fs::path(run.summary().value("deployment_root", "")) / "logs" /
                         "scripts.log");
    }
};

// Issue 13.1: `location: ./hooks/after-install` lost the appspec timeout (59m30s instead).
// Issue 13.2: the 40 s timeout's deadline is half of it, and the text says so.
TEST_F(AgentConditionsTest, DotSlashLocationKeepsTheAppspecDeadline) {
    auto spec = stack({service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small)});
    spec.hook_location = "./hooks/";
    spec.timeouts["AfterInstall"] = 40;
    const auto run = deploy(bundle(spec, "rev"));
    const std::string id = expect_deployed(run);
    const std::string log = log_file(id);
    EXPECT_NE(log.find("deadline 20s (appspec.yml AfterInstall timeout 40s / 2: under 60s half "
                       "is kept back)"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("deadline 1m30s (appspec.yml ValidateService timeout 120s - 30s)"),
              std::string::npos)
        << log;
    EXPECT_EQ(log.find("agent default timeout"), std::string::npos) << log;
}

// Issue 13.5: the verdict was written on stdout and stderr; the stderr copy landed mid-table
// in scripts.log. It is written once, the last stdout entry of the event.
TEST_F(AgentConditionsTest, VerdictIsInScriptsLogOnceAndLastOnStdout) {
    auto crashing = service("zookeeper", standin_image("zookeeper"), free_port(),
                            {"--mode", "crash", "--crash-after-s", "1"});
    const auto run = deploy(bundle(stack({crashing}), "rev"));
    const auto& hook = run.hook("AfterInstall");
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 1) << run.dump();
    const auto entries = event_entries(scripts_log(run), "AfterInstall");
    std::vector<std::string> verdicts;
    std::string last_stdout;
    for (const auto& entry : entries) {
        if (entry.find("FAILED: ") != std::string::npos) {
            verdicts.push_back(entry);
        }
        if (entry.rfind("[stdout]", 0) == 0) {
            last_stdout = entry;
        }
    }
    ASSERT_EQ(verdicts.size(), 1u) << scripts_log(run);
    EXPECT_EQ(verdicts[0].rfind("[stdout]FAILED: ", 0), 0u) << verdicts[0];
    EXPECT_EQ(last_stdout, verdicts[0]);
}

// Issue 13.4: under `runas` su SIGKILLs the hook 2 s after the agent's SIGTERM, so the verdict,
// the report and the log must be out well within that: here within 1 s. Issue 13.3: the
// verdict names the service that was awaited.
TEST_F(AgentConditionsTest, SigtermUnderRunasIsAnsweredWithinOneSecond) {
    auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
    auto hanging =
        service("zookeeper", standin_image("zookeeper"), free_port(), {"--mode", "hang"});
    auto spec = stack({rabbitmq, hanging});
    spec.startup_timeout = "5m";
    auto args = hook_args(bundle(spec, "rev"), "AfterInstall");
    args.timeout_s = 6;  // the agent's SIGTERM comes while zookeeper is awaited
    args.runas = "root";
    const auto run = m_sim.hook(args, milliseconds(60000));
    const auto& hook = run.only_hook();
    expect_clean_hook(hook);
    ASSERT_TRUE(hook.value("sigterm_sent", false)) << run.dump();
    EXPECT_EQ(hook["signal"], nullptr) << "killed before it could finish: " << run.dump();
    EXPECT_EQ(hook.value("exit_code", -1), 143) << run.dump();
    EXPECT_LT(hook.value("exited_after_sigterm_ms", 99999), 1000) << run.dump();
    const auto written = report(args.deployment_id);
    EXPECT_EQ(written["hooks"]["after-install"].value("outcome", ""), "interrupted")
        << written.dump(1);
    const std::string log = log_file(args.deployment_id);
    const auto verdict_at = log.rfind("FAILED: interrupted (SIGTERM)");
    ASSERT_NE(verdict_at, std::string::npos) << log;
    const std::string verdict = log.substr(verdict_at, log.find('\n', verdict_at) - verdict_at);
    EXPECT_NE(verdict.find("zookeeper not ready"), std::string::npos) << verdict;
}

// Issue 13.6: the agent passes its environment and its non-close-on-exec descriptors on.
// With DOCKER_HOST, NO_COLOR, su's HOME/SHELL/MAIL and an inherited pipe end, the deployment
// still succeeds, prints no colour, and no child of stagehand (probe commands, compose) gets
// the inherited descriptor or keeps the pipe open after the hooks.
TEST_F(AgentConditionsTest, NoisyEnvironmentAndInheritedDescriptorsChangeNothing) {
    const fs::path fds_seen = m_dir / "probe-fds.txt";
    auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
    rabbitmq.ready = "{ command: [sh, -c, 'echo /proc/$$/fd/* > " + fds_seen.string() + "'] }";
    const auto rev = bundle(stack({rabbitmq}), "rev");
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    constexpr int k_inherited = 47;
    ASSERT_EQ(::dup2(pipe_fds[1], k_inherited), k_inherited);  // no close-on-exec: inherited
    ::close(pipe_fds[1]);
    const auto run = deploy(rev, {"DOCKER_HOST=unix:///var/run/docker.sock", "NO_COLOR=1",
                                  "HOME=/root", "SHELL=/bin/bash", "MAIL=/var/mail/root"});
    ::close(k_inherited);
    expect_deployed(run);
    for (const auto& hook : run.hooks()) {
        EXPECT_EQ(hook.value("tail", "").find('\x1b'), std::string::npos) << hook.dump();
    }
    const std::string seen = read_text(fds_seen);
    EXPECT_FALSE(seen.empty());
    EXPECT_EQ(seen.find("/fd/" + std::to_string(k_inherited)), std::string::npos) << seen;
    // Every holder of the write end is gone: the read end is at EOF at once.
    pollfd readable{pipe_fds[0], POLLIN, 0};
    EXPECT_EQ(::poll(&readable, 1, 2000), 1) << "a process still holds the inherited pipe";
    char byte = 0;
    EXPECT_EQ(::read(pipe_fds[0], &byte, 1), 0);
    ::close(pipe_fds[0]);
}

}  // namespace
}  // namespace stagehand::integration
