// `codedeploy-sim hook` at and after the deadline: SIGTERM to the group, closed pipes, the v2
// SIGKILL, --hard-kill-after, outputs left open (error 6), leftovers, our own interruption.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "support/sim_process.hpp"

namespace stagehand::agent::sim_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class HookDeadlineTest : public ::testing::Test {
  protected:
    SimRun hook(const std::string& body, std::vector<std::string> extra) {
        const fs::path path = write_script(m_dir / "hook", body);
        std::vector<std::string> args{"hook",         "--script",   path.string(),        "--event",
                                      "AfterInstall", "--location", "hooks/after-install"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_sim(args);
    }

    fs::path marker(const std::string& name) const { return m_dir / name; }

    static bool contains(const fs::path& file, const std::string& text) {
        return read_file(file).find(text) != std::string::npos;
    }

    TempDir m_dir;
};

TEST_F(HookDeadlineTest, TimeoutSendsSigtermToTheWholeGroup) {
    // The child waits with `sleep & wait`: a foreground child killed by the SIGTERM would make
    // dash print "Terminated" to the closed pipe first and die of SIGPIPE before its trap ran.
    const std::string child_marker = marker("child").string();
    const SimRun run = hook("(trap 'echo child-term >> " + child_marker +
                                "; exit 0' TERM; sleep 30 & wait) &\n"
                                "echo started\nsleep 30\n",
                            {"--timeout", "1"});
    const auto& r = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(r["agent_error_code"], 3);
    EXPECT_EQ(r["agent_error"],
              "Script at specified location: hooks/after-install failed to complete in 1 seconds");
    EXPECT_TRUE(r["timed_out"].get<bool>());
    EXPECT_TRUE(r["sigterm_sent"].get<bool>());
    EXPECT_FALSE(r["sigkill_sent"].get<bool>());
    EXPECT_EQ(r["signal_name"], "SIGTERM");
    EXPECT_GE(r["duration_ms"].get<long>(), 1000);
    EXPECT_NE(r["tail"].get<std::string>().find("[stdout]started\n"), std::string::npos);
    // The background child is in the hook's process group, so it got the SIGTERM too.
    EXPECT_TRUE(
        wait_until([&] { return contains(child_marker, "child-term"); }, milliseconds(5000)));
}

TEST_F(HookDeadlineTest, WritesAfterTheDeadlineFailWithEpipe) {
    // The agent closes its pipe ends right after the SIGTERM: a hook that handles SIGTERM and
    // then prints is killed by SIGPIPE (exit status 141 of the subshell that writes).
    // (`sleep & wait`, not a foreground `sleep` loop: dash reports a foreground child killed by
    // SIGTERM with "Terminated" on stderr, and that write alone may already kill it by SIGPIPE.)
    const std::string rc = marker("rc").string();
    const SimRun run = hook("trap 'sleep 0.3; (echo too-late); echo \"rc=$?\" > " + rc +
                                "; exit 0' TERM\nsleep 30 &\nwait\n",
                            {"--timeout", "1"});
    EXPECT_EQ(run.last()["agent_error_code"], 3);
    EXPECT_EQ(run.last()["exit_code"], 0);
    EXPECT_TRUE(contains(rc, "rc=141")) << read_file(rc);
    EXPECT_EQ(run.last()["tail"].get<std::string>().find("too-late"), std::string::npos);
}

TEST_F(HookDeadlineTest, HardKillEndsAHookThatIgnoresSigterm) {
    const SimRun run = hook("trap '' TERM\necho ignoring\nwhile :; do sleep 0.1; done\n",
                            {"--timeout", "1", "--hard-kill-after", "1"});
    const auto& r = run.last();
    EXPECT_EQ(r["agent_error_code"], 3);
    EXPECT_TRUE(r["sigterm_sent"].get<bool>());
    EXPECT_TRUE(r["sigkill_sent"].get<bool>());
    EXPECT_TRUE(r["hard_killed"].get<bool>());  // not something the agent does
    EXPECT_EQ(r["signal"], 9);
    EXPECT_GE(r["duration_ms"].get<long>(), 2000);
    EXPECT_EQ(r["leftover_processes"], 0);
}

TEST_F(HookDeadlineTest, AgentV2SendsSigkillFiveSecondsAfterSigterm) {
    const SimRun run = hook("trap '' TERM\nwhile :; do sleep 0.1; done\n",
                            {"--timeout", "1", "--agent", "v2", "--hard-kill-after", "30"});
    const auto& r = run.last();
    EXPECT_EQ(r["agent_error_code"], 3);
    EXPECT_TRUE(r["sigkill_sent"].get<bool>());
    EXPECT_FALSE(r["hard_killed"].get<bool>());  // the v2 agent's own rule fired first
    EXPECT_EQ(r["signal"], 9);
    EXPECT_GE(r["duration_ms"].get<long>(), 6000);
    EXPECT_LT(r["duration_ms"].get<long>(), 20000);
}

TEST_F(HookDeadlineTest, ChildHoldingStdoutIsError6AtTheDeadline) {
    const SimRun run = hook("sleep 30 &\necho \"child $!\"\nexit 0\n", {"--timeout", "1"});
    const auto& r = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(r["agent_error_code"], 6);
    EXPECT_EQ(r["agent_error"],
              "Script at specified location: hooks/after-install failed to close STDOUT");
    EXPECT_TRUE(r["outputs_left_open"].get<bool>());
    EXPECT_FALSE(r["timed_out"].get<bool>());
    EXPECT_FALSE(r["sigterm_sent"].get<bool>());  // the agent signals nobody here
    EXPECT_EQ(r["exit_code"], 0);
    EXPECT_GE(r["duration_ms"].get<long>(), 1000);
    EXPECT_EQ(r["leftover_processes"], 1);
    EXPECT_FALSE(r["leftovers_killed"].get<bool>());
    // Clean up the faithful leftover ourselves.
    std::istringstream line(
        r["tail"].get<std::string>().substr(r["tail"].get<std::string>().find("child ") + 6));
    pid_t child = 0;
    line >> child;
    ASSERT_GT(child, 0);
    ::kill(child, SIGKILL);
}

TEST_F(HookDeadlineTest, ChildHoldingOnlyStderrIsError6ForStderr) {
    const SimRun run =
        hook("sleep 30 >/dev/null &\nexit 0\n", {"--timeout", "1", "--hard-kill-after", "1"});
    EXPECT_EQ(run.last()["agent_error_code"], 6);
    EXPECT_EQ(run.last()["agent_error"],
              "Script at specified location: hooks/after-install failed to close STDERR");
    EXPECT_TRUE(run.last()["leftovers_killed"].get<bool>());
}

TEST_F(HookDeadlineTest, HardKillRemovesLeftoversThatHoldTheOutputs) {
    const std::string pid_file = marker("pid").string();
    const SimRun run = hook("sleep 30 &\necho $! > " + pid_file + "\nexit 0\n",
                            {"--timeout", "1", "--hard-kill-after", "1"});
    EXPECT_EQ(run.last()["agent_error_code"], 6);
    EXPECT_TRUE(run.last()["leftovers_killed"].get<bool>());
    const pid_t child = static_cast<pid_t>(std::stol(read_file(pid_file)));
    EXPECT_TRUE(wait_until([&] { return !process_alive(child); }, milliseconds(2000)));
}

TEST_F(HookDeadlineTest, DetachedChildWithClosedOutputsSucceedsButIsReported) {
    const SimRun run =
        hook("sleep 30 >/dev/null 2>&1 &\nexit 0\n", {"--timeout", "5", "--hard-kill-after", "1"});
    const auto& r = run.last();
    EXPECT_EQ(r["agent_error_code"], 0);
    EXPECT_LT(r["duration_ms"].get<long>(), 4000);
    EXPECT_EQ(r["leftover_processes"], 1);
    EXPECT_TRUE(r["leftovers_killed"].get<bool>());
}

TEST_F(HookDeadlineTest, InterruptingTheSimKillsTheHookGroup) {
    const fs::path path =
        write_script(m_dir / "hook", "echo $$ > " + marker("pid").string() + "\nsleep 30\n");
    const SimProcess sim =
        start_sim({"hook", "--script", path.string(), "--event", "ApplicationStart"});
    ASSERT_TRUE(wait_until([&] { return contains(marker("pid"), "\n"); }, milliseconds(5000)));
    const pid_t hook_pid = static_cast<pid_t>(std::stol(read_file(marker("pid"))));
    ::kill(sim.pid, SIGTERM);
    const SimRun run = finish_sim(sim, seconds(10));
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_TRUE(run.last()["interrupted"].get<bool>()) << run.out;
    EXPECT_EQ(run.last()["agent_error_code"], 7);
    EXPECT_FALSE(process_alive(hook_pid));
}

}  // namespace
}  // namespace stagehand::agent::sim_test
