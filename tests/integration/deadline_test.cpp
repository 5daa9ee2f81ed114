// Time and concurrency: stagehand's own deadline fires before the agent's timeout, a SIGTERM
// from the agent ends the hook within 5 s with its report and log written, and two hooks at
// once take turns on the host lock (or the second gives up after lock_timeout with exit 3).

#include <signal.h>

#include <thread>

#include "support/proc.hpp"
#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> k_small{"--peak-mib", "24",  "--steady-mib", "16",
                                       "--ramp-s",   "0.3", "--cpu-s",      "0.1"};

std::string last_line(std::string text) {
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    const auto newline = text.rfind('\n');
    return newline == std::string::npos ? text : text.substr(newline + 1);
}

class DeadlineTest : public StackTest {
  protected:
    // rabbitmq, then zookeeper that does its start work but never becomes ready.
    StackSpec hanging_stack() {
        auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
        auto hanging =
            service("zookeeper", standin_image("zookeeper"), free_port(), {"--mode", "hang"});
        auto spec = stack({rabbitmq, hanging});
        spec.startup_timeout = "5m";  // only the deadline can end the wait
        return spec;
    }
};

TEST_F(DeadlineTest, OwnDeadlineFiresBeforeTheAgentTimeout) {
    auto spec = hanging_stack();
    spec.timeouts["AfterInstall"] = 12;  // deadline: the agent's 12 s halved (less than 30 s)
    const auto run = deploy(bundle(spec, "rev"));
    const auto& hook = run.hook("AfterInstall");
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 124) << run.dump();
    // Exit 124 before the agent's timeout: error 4 (script failed), not 3 (timed out).
    EXPECT_EQ(hook.value("agent_error_code", -1), 4) << run.dump();
    EXPECT_FALSE(hook.value("timed_out", true));
    EXPECT_EQ(run.summary().value("error_code", -1), 4);
    const std::string verdict = verdict_of(hook);
    EXPECT_EQ(verdict.rfind("FAILED", 0), 0u) << hook.value("tail", "");
    EXPECT_NE(verdict.find("deadline"), std::string::npos) << hook.value("tail", "");
    EXPECT_NE(verdict.find("zookeeper"), std::string::npos) << hook.value("tail", "");
    EXPECT_LT(hook.value("duration_ms", 0), 11000);
    const auto written = report(run.summary().value("deployment_id", ""));
    EXPECT_EQ(written["hooks"]["after-install"].value("exit_code", -1), 124) << written.dump(1);
}

TEST_F(DeadlineTest, SigtermMidStartEndsTheHookWithin5sWithReportAndLog) {
    const fs::path rev = bundle(hanging_stack(), "rev");
    auto args = hook_args(rev, "AfterInstall");
    args.timeout_s = 4;  // the agent's timeout: SIGTERM to the hook's process group
    args.agent = "v2";   // v2 sends SIGKILL 5 s after the SIGTERM: any later exit shows
    const auto run = m_sim.hook(args, milliseconds(60000));
    const auto& hook = run.only_hook();
    expect_clean_hook(hook);
    EXPECT_TRUE(hook.value("sigterm_sent", false)) << run.dump();
    EXPECT_EQ(hook.value("exit_code", -1), 143) << run.dump();
    EXPECT_EQ(hook.value("agent_error_code", -1), 3);
    EXPECT_LT(hook.value("duration_ms", 0), 4000 + 5000);
    const auto written = report(args.deployment_id);
    EXPECT_EQ(written["hooks"]["after-install"].value("outcome", ""), "interrupted")
        << written.dump(1);
    EXPECT_EQ(written["hooks"]["after-install"].value("exit_code", -1), 143);
    // The agent closed its pipes with the SIGTERM: the log file holds the whole story.
    const std::string log = log_file(args.deployment_id);
    const std::string last = last_line(log);
    EXPECT_EQ(last.rfind("FAILED", 0), 0u) << "the log file does not end with the verdict:\n"
                                           << log;
    EXPECT_NE(last.find("SIGTERM"), std::string::npos) << last;
    EXPECT_NE(last.find("zookeeper"), std::string::npos) << last;
    // SIGTERM ends stagehand's own children, never the containers.
    EXPECT_TRUE(m_docker.service_container(m_project, "zookeeper").running);
}

// Issue 13 item 7: a SIGTERM that lands while `docker compose ... up` runs ended the hook with
// exit 1 and "compose could not start ...: cancelled" (3 of 3 runs). It is an interruption.
TEST_F(DeadlineTest, SigtermWhileComposeUpRunsIsAnInterruption) {
    const fs::path rev = bundle(hanging_stack(), "rev");
    auto args = hook_args(rev, "AfterInstall");
    Child sim = m_sim.start_hook(args);
    const std::string hook_path = args.script.string();
    pid_t hook = 0;
    bool signalled = false;
    const auto until = std::chrono::steady_clock::now() + seconds(60);
    while (!signalled && std::chrono::steady_clock::now() < until) {
        bool compose_up = false;
        for (const auto& process : processes_mentioning(m_project)) {
            compose_up =
                compose_up || (process.cmdline.find(" up -d --no-deps ") != std::string::npos);
        }
        for (const auto& process : processes_mentioning(hook_path)) {
            hook = process.cmdline.rfind(hook_path, 0) == 0 ? process.pid : hook;
        }
        if (compose_up && hook != 0) {
            signalled = ::kill(hook, SIGTERM) == 0;
        }
        std::this_thread::sleep_for(milliseconds(2));
    }
    ASSERT_TRUE(signalled) << "never saw `compose up` run under the hook";
    const auto run = Sim::finish(sim, milliseconds(60000));
    const auto& hook_run = run.only_hook();
    expect_clean_hook(hook_run);
    EXPECT_EQ(hook_run.value("exit_code", -1), 143) << run.dump();
    const std::string verdict = verdict_of(hook_run);
    EXPECT_EQ(verdict.rfind("FAILED: interrupted (SIGTERM)", 0), 0u) << hook_run.value("tail", "");
    EXPECT_EQ(verdict.find("cancelled"), std::string::npos) << verdict;
    const auto written = report(args.deployment_id);
    EXPECT_EQ(written["hooks"]["after-install"].value("outcome", ""), "interrupted")
        << written.dump(1);
    EXPECT_EQ(written["hooks"]["after-install"].value("exit_code", -1), 143);
}

class LockTest : public StackTest {
  protected:
    // Project "<p>a": rabbitmq taking ~4 s to become ready, so its after-install holds the
    // host lock a while. Project "<p>b": one quick service, sharing the state folder.
    void SetUp() override {
        StackTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        auto slow = service("rabbitmq", standin_image("rabbitmq"), free_port(),
                            {"--peak-mib", "24", "--ramp-s", "4"});
        m_first = bundle(stack({slow}, "a"), "first");
    }

    fs::path second_bundle(const std::string& lock_timeout) {
        auto spec =
            stack({service("zookeeper", standin_image("zookeeper"), free_port(), k_small)}, "b");
        spec.lock_timeout = lock_timeout;
        return bundle(spec, "second");
    }

    // Starts the first after-install and waits until it holds the host lock; its hook's pid.
    pid_t start_first(Child& first) {
        first = m_sim.start_hook(hook_args(m_first, "AfterInstall"));
        const std::string lock = (m_dir / "state" / "lock").string();
        pid_t holder = 0;
        EXPECT_TRUE(wait_for([&] { return (holder = flock_holder(lock)) != 0; }, seconds(30)))
            << "the first after-install never took " << lock;
        return holder;
    }

    fs::path m_first;
};

TEST_F(LockTest, SecondHookGivesUpAfterLockTimeoutNamingTheHolder) {
    Child first;
    const pid_t holder = start_first(first);
    const auto second = m_sim.hook(hook_args(second_bundle("2s"), "AfterInstall"));
    const auto& hook = second.only_hook();
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 3) << second.dump();
    EXPECT_EQ(hook.value("agent_error_code", -1), 4);
    const std::string verdict = verdict_of(hook);
    EXPECT_NE(verdict.find("PID " + std::to_string(holder)), std::string::npos) << verdict;
    EXPECT_NE(verdict.find("after-install"), std::string::npos) << verdict;
    EXPECT_NE(verdict.find(m_project + "a"), std::string::npos) << verdict;
    EXPECT_TRUE(m_docker.project_containers(m_project + "b").empty());

    const auto first_run = Sim::finish(first, milliseconds(120000));
    EXPECT_EQ(first_run.only_hook().value("exit_code", -1), 0) << first_run.dump();
    EXPECT_EQ(first_run.only_hook().value("pid", -1), holder);
    expect_clean_hook(first_run.only_hook());
}

TEST_F(LockTest, SecondHookWaitsForTheLockSayingWhoHoldsIt) {
    Child first;
    const pid_t holder = start_first(first);
    auto args = hook_args(second_bundle("60s"), "AfterInstall");
    const auto second = m_sim.hook(args);
    const auto first_run = Sim::finish(first, milliseconds(120000));
    EXPECT_EQ(first_run.only_hook().value("exit_code", -1), 0) << first_run.dump();
    const auto& hook = second.only_hook();
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 0) << second.dump();
    EXPECT_EQ(verdict_of(hook).rfind("OK", 0), 0u) << hook.value("tail", "");
    const std::string log = log_file(args.deployment_id);
    const std::string waiting = "held by PID " + std::to_string(holder);
    EXPECT_NE(log.find(waiting), std::string::npos) << "no '" << waiting << "' in:\n" << log;
    EXPECT_TRUE(m_docker.service_container(m_project + "b", "zookeeper").running);
}

}  // namespace
}  // namespace stagehand::integration
