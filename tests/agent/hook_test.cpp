// `codedeploy-sim hook`: one script run the way the agent runs it, checked from the outside
// (the executable, real processes, shell-script hooks written into a temp folder).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "support/sim_process.hpp"

namespace stagehand::agent::sim_test {
namespace {

// This process's descriptors above 2 that an exec would pass on.
std::set<std::string> descriptors_without_cloexec() {
    std::set<std::string> out;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
        const std::string name = entry.path().filename().string();
        const int fd = std::stoi(name);
        const int flags = ::fcntl(fd, F_GETFD);
        if (fd > 2 && flags >= 0 && (flags & FD_CLOEXEC) == 0) {
            out.insert(name);
        }
    }
    return out;
}

class HookTest : public ::testing::Test {
  protected:
    fs::path script(const std::string& name, const std::string& body) {
        return write_script(m_dir / name, body);
    }

    // Runs `codedeploy-sim hook` on a script with the event BeforeInstall and extra options.
    SimRun hook(const fs::path& path, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"hook", "--script", path.string(), "--event",
                                      "BeforeInstall"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_sim(args);
    }

    // The hook's stdout lines, from the tail ("[stdout]" entries, prefix removed).
    static std::vector<std::string> stdout_lines(const SimRun& run) {
        std::vector<std::string> lines;
        std::istringstream tail(run.last().value("tail", ""));
        for (std::string line; std::getline(tail, line);) {
            if (line.rfind("[stdout]", 0) == 0) {
                lines.push_back(line.substr(8));
            }
        }
        return lines;
    }

    TempDir m_dir;
};

TEST_F(HookTest, SuccessReportsOutputAndExitsZero) {
    const SimRun run = hook(script("ok", "echo hello\necho warn >&2\n"));
    const auto& r = run.last();
    EXPECT_EQ(run.exit_status, 0) << run.err;
    EXPECT_EQ(r["type"], "hook");
    EXPECT_EQ(r["agent_error_code"], 0);
    EXPECT_EQ(r["agent_error"], "");
    EXPECT_EQ(r["exit_code"], 0);
    EXPECT_EQ(r["lines"], 2);
    EXPECT_TRUE(r["utf8_valid"].get<bool>());
    const std::string tail = r["tail"];
    EXPECT_EQ(tail.rfind("LifecycleEvent - BeforeInstall\nScript - ", 0), 0u) << tail;
    EXPECT_NE(tail.find("[stdout]hello\n"), std::string::npos);
    EXPECT_NE(tail.find("[stderr]warn\n"), std::string::npos);
    EXPECT_EQ(r["diagnostic"]["message"], "Succeeded: ");
}

TEST_F(HookTest, NonZeroExitIsError4WithTheAgentsMessage) {
    const SimRun run =
        hook(script("fail", "echo boom >&2\nexit 3\n"), {"--location", "hooks/fail"});
    const auto& r = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(r["agent_error_code"], 4);
    EXPECT_EQ(r["exit_code"], 3);
    EXPECT_EQ(r["agent_error"], "Script at specified location: hooks/fail failed with exit code 3");
    EXPECT_EQ(r["diagnostic"]["error_code"], 4);
    EXPECT_EQ(r["diagnostic"]["script_name"], "hooks/fail");
    EXPECT_EQ(r["diagnostic"]["log"], r["tail"]);
}

TEST_F(HookTest, KilledBySignalIsError4WithAnEmptyExitCode) {
    const SimRun run = hook(script("die", "kill -KILL $$\n"), {"--location", "hooks/die"});
    const auto& r = run.last();
    EXPECT_EQ(r["agent_error_code"], 4);
    EXPECT_TRUE(r["exit_code"].is_null());
    EXPECT_EQ(r["signal"], 9);
    EXPECT_EQ(r["signal_name"], "SIGKILL");
    // Ruby's exitstatus is nil after a signal, and nil.to_s is "".
    EXPECT_EQ(r["agent_error"], "Script at specified location: hooks/die failed with exit code ");
}

TEST_F(HookTest, MissingScriptIsError1NamingTheAbsolutePath) {
    const SimRun run = hook(m_dir / "nope", {"--location", "hooks/nope"});
    const auto& r = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(r["agent_error_code"], 1);
    EXPECT_EQ(r["agent_error"],
              "Script does not exist at specified location: " + (m_dir / "nope").string());
    EXPECT_EQ(r["pid"], -1);
    EXPECT_EQ(r["tail"], "LifecycleEvent - BeforeInstall\n");
}

TEST_F(HookTest, NotExecutableScriptIsChmoddedAndRun) {
    const fs::path path = m_dir / "plain";
    write_file(path, "#!/bin/sh\necho ran\n", fs::perms(0644));
    const SimRun run = hook(path);
    EXPECT_EQ(run.last()["agent_error_code"], 0) << run.out;
    EXPECT_TRUE(run.last()["chmodded"].get<bool>());
    EXPECT_EQ(stdout_lines(run), std::vector<std::string>{"ran"});
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);  // a+x, as FileUtils.chmod("+x")
}

TEST_F(HookTest, ChmodFailureIsError2) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to run codedeploy-sim as another user";
    }
    // A root-owned, non-executable file that the sim (running as nobody) cannot chmod.
    const fs::path path = m_dir / "locked";
    write_file(path, "#!/bin/sh\necho ran\n", fs::perms(0644));
    const SimRun run = run_sim({"hook", "--script", path.string(), "--event", "AfterInstall",
                                "--location", "hooks/locked"},
                               65534);
    if (run.exit_status == 126 || run.exit_status == 127 || run.objects.empty()) {
        GTEST_SKIP() << "cannot run codedeploy-sim as nobody here: " << run.err;
    }
    EXPECT_EQ(run.last()["agent_error_code"], 2);
    EXPECT_EQ(run.last()["agent_error"],
              "Unable to set script at specified location: hooks/locked as executable");
}

TEST_F(HookTest, ScriptWithoutShebangRunsThroughSh) {
    const fs::path path = m_dir / "bare";
    write_file(path, "echo bare $((1 + 1))\n", fs::perms(0755));
    const SimRun run = hook(path);
    EXPECT_EQ(run.last()["agent_error_code"], 0) << run.out;
    EXPECT_EQ(stdout_lines(run), std::vector<std::string>{"bare 2"});
}

TEST_F(HookTest, UnstartableScriptIsError4WithRubysErrnoText) {
    const fs::path dir = m_dir / "adir";
    fs::create_directories(dir);
    const SimRun run = hook(dir, {"--location", "hooks/adir"});
    EXPECT_EQ(run.last()["agent_error_code"], 4);
    EXPECT_EQ(run.last()["agent_error"],
              "Script at specified location: hooks/adir failed with error Errno::EACCES with "
              "message Permission denied - " +
                  dir.string());
}

TEST_F(HookTest, RunsFromRootWithStdinAtEofAndOutputsOnTwoPipes) {
    const std::string body =
        "pwd\n"
        "if read line; then echo read-data; else echo read-eof; fi\n"
        "readlink /proc/$$/fd/0 | cut -d: -f1\n"
        "[ -t 1 ] && echo tty || echo no-tty\n"
        "o=$(readlink /proc/$$/fd/1); e=$(readlink /proc/$$/fd/2)\n"
        "case $o in pipe:*) echo out-pipe;; esac\n"
        "[ \"$o\" != \"$e\" ] && echo separate\n"
        "(cd /proc/$$/fd && for f in *; do [ \"$(readlink $f)\" = \"$0\" ] || printf '%s ' $f; "
        "done; echo)\n";
    const auto path = script("where", body);
    const SimRun v1 = hook(path);
    const auto lines = stdout_lines(v1);
    ASSERT_EQ(lines.size(), 7u) << v1.out;
    EXPECT_EQ(lines[0], "/");
    EXPECT_EQ(lines[1], "read-eof");
    EXPECT_EQ(lines[2], "pipe");  // v1: popen3's stdin pipe, write end closed at once
    EXPECT_EQ(lines[3], "no-tty");
    EXPECT_EQ(lines[4], "out-pipe");
    EXPECT_EQ(lines[5], "separate");
    // 0-2 and whatever this test process holds without close-on-exec (the agent passes those
    // on), none of the sim's own. (The shell's own fd on its script file is left out above.)
    const std::set<std::string> inherited = descriptors_without_cloexec();
    std::istringstream fds(lines[6]);
    for (std::string fd; fds >> fd;) {
        EXPECT_TRUE(fd == "0" || fd == "1" || fd == "2" || inherited.count(fd)) << lines[6];
    }
    const SimRun v2 = hook(path, {"--agent", "v2"});
    EXPECT_EQ(stdout_lines(v2).at(2), "/dev/null");
}

// Sets environment variables of this process (which codedeploy-sim inherits, as the agent
// inherits its caller's) for one scope.
class ScopedEnv {
  public:
    explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) {
        for (const auto& [key, value] : vars) {
            const char* old = std::getenv(key.c_str());
            m_saved.emplace_back(key, old ? std::optional<std::string>(old) : std::nullopt);
            ::setenv(key.c_str(), value.c_str(), 1);
        }
    }
    ~ScopedEnv() {
        for (const auto& [key, value] : m_saved) {
            value ? ::setenv(key.c_str(), value->c_str(), 1) : ::unsetenv(key.c_str());
        }
    }

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

// Issue 13.6: the hook's environment is the agent's own (codedeploy-local: its caller's)
// plus the deployment variables, minus the AWS credentials; it was a clean one.
TEST_F(HookTest, EnvironmentIsTheAgentsPlusDeploymentVariables) {
    const ScopedEnv agent_env({{"HOME", "/agent-home"},
                               {"NO_COLOR", "1"},
                               {"STAGEHAND_SIM_FROM_AGENT", "yes"},
                               {"DEPLOYMENT_ID", "stale"},
                               {"AWS_SECRET_ACCESS_KEY", "secret"}});
    const SimRun run = hook(script("env", "env\n"),
                            {"--deployment-id", "d-AB1CDEF23", "--application", "randhand",
                             "--group", "prod", "--group-id", "4c1e-uuid", "--env", "EXTRA=1"});
    const auto lines = stdout_lines(run);
    const std::set<std::string> env(lines.begin(), lines.end());
    for (const std::string& expected :
         {std::string("PATH=") + std::getenv("PATH"), std::string("HOME=/agent-home"),
          std::string("NO_COLOR=1"), std::string("STAGEHAND_SIM_FROM_AGENT=yes"),
          std::string("LIFECYCLE_EVENT=BeforeInstall"), std::string("DEPLOYMENT_ID=d-AB1CDEF23"),
          std::string("APPLICATION_NAME=randhand"), std::string("DEPLOYMENT_GROUP_NAME=prod"),
          std::string("DEPLOYMENT_GROUP_ID=4c1e-uuid"), std::string("EXTRA=1")}) {
        EXPECT_EQ(env.count(expected), 1u) << expected;
    }
    for (const auto& var : lines) {
        EXPECT_NE(var.rfind("AWS_SECRET_ACCESS_KEY=", 0), 0u) << var;
        EXPECT_NE(var.rfind("DEPLOYMENT_ID=stale", 0), 0u) << var;
    }
}

// Issue 13.6: the agent passes every inherited descriptor that is not close-on-exec to the
// hook (seen: fds 3 and 251 of the shell that started codedeploy-local).
TEST_F(HookTest, InheritedDescriptorsWithoutCloseOnExecReachTheHook) {
    const int plain = ::open("/dev/null", O_RDONLY);
    const int cloexec = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(::dup2(plain, 47), 0);
    ASSERT_GE(::dup3(cloexec, 48, O_CLOEXEC), 0);
    const SimRun run = hook(script("fds", "(cd /proc/$$/fd && echo *)\n"));
    ::close(47);
    ::close(48);
    ::close(plain);
    ::close(cloexec);
    std::set<std::string> fds;
    std::istringstream listed(stdout_lines(run).at(0));
    for (std::string fd; listed >> fd;) {
        fds.insert(fd);
    }
    EXPECT_EQ(fds.count("47"), 1u) << stdout_lines(run).at(0);
    EXPECT_EQ(fds.count("48"), 0u) << stdout_lines(run).at(0);
}

TEST_F(HookTest, HookLeadsItsOwnProcessGroupInOurSession) {
    const SimRun run = hook(script("ids", "cut -d' ' -f1,5,6 /proc/$$/stat\n"));
    std::istringstream ids(stdout_lines(run).at(0));
    long pid = 0;
    long pgrp = 0;
    long session = 0;
    ids >> pid >> pgrp >> session;
    EXPECT_EQ(pid, run.last()["pid"].get<long>());
    EXPECT_EQ(pgrp, pid);
    EXPECT_EQ(session, static_cast<long>(::getsid(0)));
}

TEST_F(HookTest, ScriptsLogHasTheAgentsTimestampedEntries) {
    const fs::path log = m_dir / "logs" / "scripts.log";
    hook(script("log", "echo one\necho two >&2\n"),
         {"--scripts-log", log.string(), "--location", "hooks/log"});
    std::istringstream lines(read_file(log));
    const std::regex shape(
        R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (LifecycleEvent - BeforeInstall|Script - hooks/log|\[stdout\]one|\[stderr\]two))");
    int count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
        EXPECT_TRUE(std::regex_match(line, shape)) << line;
    }
    EXPECT_EQ(count, 4);
}

TEST_F(HookTest, PrintOutputEchoesEntriesOnStderr) {
    const SimRun run = hook(script("echo", "echo visible\n"), {"--print-output"});
    EXPECT_NE(run.err.find(" [stdout]visible\n"), std::string::npos) << run.err;
    const SimRun quiet = hook(script("echo2", "echo visible\n"));
    EXPECT_EQ(quiet.err.find("visible"), std::string::npos);
}

TEST_F(HookTest, UsageErrorsExitTwo) {
    EXPECT_EQ(run_sim({"hook", "--script", "/bin/true"}).exit_status, 2);
    EXPECT_EQ(run_sim({"hook", "--script", "relative", "--event", "X"}).exit_status, 2);
    EXPECT_EQ(
        run_sim({"hook", "--script", "/bin/true", "--event", "X", "--timeout", "0"}).exit_status,
        2);
    EXPECT_EQ(
        run_sim({"hook", "--script", "/bin/true", "--event", "X", "--agent", "v3"}).exit_status, 2);
    EXPECT_EQ(run_sim({"frobnicate"}).exit_status, 2);
    EXPECT_EQ(run_sim({"--help"}).exit_status, 0);
}

TEST_F(HookTest, RunasGoesThroughSuAndNamesTheUser) {
    if (::geteuid() != 0 || ::access("/usr/bin/su", X_OK) != 0) {
        GTEST_SKIP() << "needs root and su";
    }
    const SimRun run =
        hook(script("as", "echo $HOME\nexit 5\n"), {"--runas", "root", "--location", "hooks/as"});
    EXPECT_EQ(run.last()["agent_error"],
              "Script at specified location: hooks/as run as user root failed with exit code 5");
    EXPECT_EQ(stdout_lines(run), std::vector<std::string>{"/root"});  // su set HOME
}

}  // namespace
}  // namespace stagehand::agent::sim_test
