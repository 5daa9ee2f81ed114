// The hooks under what the real CodeDeploy agent was measured to do beyond the clean case
// (issue 13): `./` locations, su's SIGKILL 2 s after the SIGTERM under `runas`, the verdict
// once and last in scripts.log, a noisy environment and inherited descriptors.

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <thread>

#include "support/proc.hpp"
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

// Issue 13.4: under `runas` the agent's SIGTERM reaches su and the hook (one process group),
// and su SIGKILLs the hook 2 s later (util-linux 2.38: it sleeps 2 s, whatever the hook
// does). So the verdict, the report and the log must be out well within that: the hook must
// be gone within 1 s of the SIGTERM, having written them.
class SigtermUnderRunasTest : public AgentConditionsTest {
  protected:
    struct Answer {
        long long ms = -1;  // from the SIGTERM until the hook process was gone
        nlohmann::json report;
        std::string log;
    };

    // Runs after-install of `spec` under runas, SIGTERMs its group (as the agent's timeout
    // does) 1.5 s after zookeeper started, and times the hook's exit.
    Answer sigterm_while_zookeeper_starts(const StackSpec& spec) {
        const fs::path rev = bundle(spec, "rev");
        auto args = hook_args(rev, "AfterInstall");
        args.runas = "root";
        Child sim = m_sim.start_hook(args);
        const std::string executable = (rev / "hooks" / "after-install").string();
        EXPECT_TRUE(wait_for(
            [&] {
                return log_file(args.deployment_id).find("[zookeeper] starting") !=
                       std::string::npos;
            },
            milliseconds(60000)))
            << log_file(args.deployment_id);
        std::this_thread::sleep_for(milliseconds(1500));
        pid_t hook_pid = 0;
        for (const auto& process : processes_mentioning(executable)) {
            if (process.cmdline.rfind(executable, 0) == 0) {
                hook_pid = process.pid;
            }
        }
        Answer answer;
        const pid_t group = hook_pid > 0 ? ::getpgid(hook_pid) : -1;
        EXPECT_GT(hook_pid, 0) << describe(processes_mentioning(executable));
        EXPECT_NE(group, hook_pid) << "not under su: the hook leads its own group";
        if (group > 0 && group != hook_pid) {
            const auto signalled = std::chrono::steady_clock::now();
            ::kill(-group, SIGTERM);
            const bool gone = wait_for(
                [&] {
                    for (const auto& process : processes_mentioning(executable)) {
                        if (process.pid == hook_pid) {
                            return false;
                        }
                    }
                    return true;
                },
                milliseconds(5000));
            answer.ms = gone ? std::chrono::duration_cast<milliseconds>(
                                   std::chrono::steady_clock::now() - signalled)
                                   .count()
                             : 99999;
        }
        Sim::finish(sim, milliseconds(30000));
        RecordProperty("hook_ms_after_sigterm", static_cast<int>(answer.ms));
        answer.report = report(args.deployment_id);
        answer.log = log_file(args.deployment_id);
        return answer;
    }

    // The report says interrupted and the log file ends with the verdict; its text.
    static std::string expect_written(const Answer& answer) {
        const auto hook = answer.report.is_object()
                              ? answer.report.value("hooks", nlohmann::json::object())
                                    .value("after-install", nlohmann::json::object())
                              : nlohmann::json::object();
        EXPECT_EQ(hook.value("outcome", ""), "interrupted") << "report: " << answer.report.dump(1);
        const auto at = answer.log.rfind("FAILED: interrupted (SIGTERM)");
        EXPECT_NE(at, std::string::npos) << answer.log;
        if (at == std::string::npos) {
            return "";
        }
        const auto end = answer.log.find('\n', at);
        EXPECT_EQ(end, answer.log.size() - 1) << "the verdict is not last:\n" << answer.log;
        return answer.log.substr(at, end - at);
    }
};

// Issue 13.3 too: the verdict names the service that was awaited.
TEST_F(SigtermUnderRunasTest, MidWaitIsAnsweredWithinOneSecondNamingTheAwaitedService) {
    auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
    auto hanging =
        service("zookeeper", standin_image("zookeeper"), free_port(), {"--mode", "hang"});
    auto spec = stack({rabbitmq, hanging});
    spec.startup_timeout = "5m";
    const auto answer = sigterm_while_zookeeper_starts(spec);
    EXPECT_LT(answer.ms, 1000) << "the hook took " << answer.ms << " ms after SIGTERM";
    EXPECT_NE(expect_written(answer).find("zookeeper not ready"), std::string::npos) << answer.log;
}

// A child of stagehand that ignores SIGTERM (here a ready probe command) was given the
// runner's 2 s grace before its SIGKILL: su's SIGKILL came first.
TEST_F(SigtermUnderRunasTest, ChildIgnoringSigtermDoesNotHoldTheAnswerBack) {
    auto hanging =
        service("zookeeper", standin_image("zookeeper"), free_port(), {"--mode", "hang"});
    hanging.ready = "{ command: [sh, -c, 'trap \"\" TERM; sleep 30'], timeout: 60s }";
    auto spec = stack({hanging});
    spec.startup_timeout = "5m";
    const auto answer = sigterm_while_zookeeper_starts(spec);
    EXPECT_LT(answer.ms, 1000) << "the hook took " << answer.ms << " ms after SIGTERM";
    expect_written(answer);
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
