// Real-process tests for PosixProcessRunner: exit codes, signals, capture, deadlines that end
// the whole group, cancellation, fd hygiene and the child's signal state.
#include "os/process/posix_runner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A fresh folder per test, removed afterwards.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "stagehand-proc-XXXXXX");
        m_path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { std::filesystem::remove_all(m_path); }
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// The process state letter from /proc/<pid>/stat, or 0 when the pid is gone.
char proc_state(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    return close == std::string::npos || close + 2 >= text.size() ? 0 : text[close + 2];
}

// Gone: no such pid, or a zombie waiting for whoever adopted it (it runs nothing).
bool process_gone(pid_t pid) {
    return (::kill(pid, 0) != 0 && errno == ESRCH) || proc_state(pid) == 'Z' ||
           proc_state(pid) == 0;
}

// True while any live (non-zombie) process has process group `pgid`.
bool group_alive(pid_t pgid) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "stat");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = text.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream fields(text.substr(close + 2));
        char state = 0;
        long ppid = 0;
        long pgrp = 0;
        fields >> state >> ppid >> pgrp;
        if (pgrp == pgid && state != 'Z') {
            return true;
        }
    }
    return false;
}

std::vector<pid_t> pids_in(const std::string& text) {
    std::vector<pid_t> pids;
    std::istringstream in(text);
    long pid = 0;
    while (in >> pid) {
        pids.push_back(static_cast<pid_t>(pid));
    }
    return pids;
}

std::size_t count_open_fds() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

ProcessOutcome run_ok(ProcessRunner& runner, ProcessSpec spec,
                      std::chrono::milliseconds limit = 20s) {
    Cancel cancel;
    auto result = runner.run(spec, Clock::now() + limit, cancel);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? *result : ProcessOutcome{};
}

ProcessSpec cmd(std::vector<std::string> argv) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    return spec;
}

struct ExitCase {
    std::vector<std::string> argv;
    int exit_code;
    int signal;
    std::string described;
};

TEST(ProcessRunner, MapsExitCodesAndSignals) {
    const std::vector<ExitCase> cases = {
        {{"true"}, 0, 0, "exited with 0"},
        {{"false"}, 1, 0, "exited with 1"},
        {{"sh", "-c", "exit 7"}, 7, 0, "exited with 7"},
        {{"sh", "-c", "kill -KILL $$"}, -1, SIGKILL, "killed by SIGKILL"},
        {{"sh", "-c", "kill -USR1 $$"}, -1, SIGUSR1, "killed by SIGUSR1"},
    };
    PosixProcessRunner runner;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.argv.back());
        const ProcessOutcome outcome = run_ok(runner, cmd(c.argv));
        EXPECT_EQ(outcome.exit_code, c.exit_code);
        EXPECT_EQ(outcome.signal, c.signal);
        EXPECT_FALSE(outcome.timed_out);
        EXPECT_FALSE(outcome.cancelled);
        EXPECT_EQ(outcome.success(), c.exit_code == 0);
        EXPECT_EQ(outcome.describe(), c.described);
    }
}

TEST(ProcessOutcome, Describes) {
    ProcessOutcome timed_out;
    timed_out.timed_out = true;
    timed_out.signal = SIGTERM;
    ProcessOutcome cancelled;
    cancelled.cancelled = true;
    ProcessOutcome odd;
    odd.signal = 200;  // no name
    EXPECT_EQ(timed_out.describe(), "timed out");
    EXPECT_EQ(cancelled.describe(), "cancelled");
    EXPECT_EQ(odd.describe(), "killed by signal 200");
    EXPECT_FALSE(timed_out.success());
}

TEST(ProcessRunner, CapturesBothStreams) {
    PosixProcessRunner runner;
    const auto outcome = run_ok(runner, cmd({"sh", "-c", "echo out; echo err >&2; echo more"}));
    EXPECT_EQ(outcome.out, "out\nmore\n");
    EXPECT_EQ(outcome.err, "err\n");
}

TEST(ProcessRunner, CapturesLargeOutput) {
    PosixProcessRunner runner;
    ProcessSpec spec = cmd({"sh", "-c", "head -c 5000000 /dev/zero; head -c 300000 /dev/zero >&2"});
    spec.max_output = 8 << 20;
    const auto outcome = run_ok(runner, spec);
    EXPECT_EQ(outcome.exit_code, 0);
    EXPECT_EQ(outcome.out.size(), 5000000U);
    EXPECT_EQ(outcome.err.size(), 300000U);
}

TEST(ProcessRunner, MaxOutputKeepsTheTail) {
    PosixProcessRunner runner;
    ProcessSpec spec = cmd({"seq", "1", "200000"});
    spec.max_output = 20;
    const auto outcome = run_ok(runner, spec);
    std::string all;
    for (int i = 1; i <= 200000; ++i) {
        all += std::to_string(i) + "\n";
    }
    EXPECT_EQ(outcome.out, all.substr(all.size() - 20));
    spec.max_output = 0;
    EXPECT_EQ(run_ok(runner, spec).out, "");
}

TEST(ProcessRunner, DeadlineEndsTheWholeGroup) {
    PosixProcessRunner runner;
    // The shell prints its own pid and its grandchild's; `wait` keeps it from exiting.
    ProcessSpec spec = cmd({"sh", "-c", "sleep 30 & echo $$ $!; wait"});
    const auto start = Clock::now();
    const auto outcome = run_ok(runner, spec, 300ms);
    EXPECT_TRUE(outcome.timed_out);
    EXPECT_EQ(outcome.describe(), "timed out");
    EXPECT_EQ(outcome.signal, SIGTERM);
    EXPECT_LT(Clock::now() - start, 5s);
    const auto pids = pids_in(outcome.out);
    ASSERT_EQ(pids.size(), 2U) << outcome.out;
    EXPECT_TRUE(process_gone(pids[0]));
    EXPECT_TRUE(wait_until([&] { return process_gone(pids[1]); }, 5s)) << "sleep survived";
    EXPECT_TRUE(wait_until([&] { return !group_alive(pids[0]); }, 5s));
}

TEST(ProcessRunner, GroupIgnoringTermIsKilledAfterGrace) {
    PosixProcessRunner runner(200ms);
    // SIG_IGN survives exec, so the grandchild sleep ignores TERM too.
    ProcessSpec spec = cmd({"sh", "-c", "trap '' TERM; sleep 30 & echo $$ $!; wait; wait"});
    const auto start = Clock::now();
    const auto outcome = run_ok(runner, spec, 300ms);
    EXPECT_TRUE(outcome.timed_out);
    EXPECT_EQ(outcome.signal, SIGKILL);
    EXPECT_LT(Clock::now() - start, 5s);
    const auto pids = pids_in(outcome.out);
    ASSERT_EQ(pids.size(), 2U) << outcome.out;
    EXPECT_TRUE(wait_until([&] { return process_gone(pids[1]); }, 5s));
    EXPECT_TRUE(wait_until([&] { return !group_alive(pids[0]); }, 5s));
}

// Fires a Cancel (SIGTERM) from another thread once the child has created `marker()`: the
// cancel then comes during the runner's wait, not before the spawn.
class CancelOnceStarted {
  public:
    CancelOnceStarted()
        : m_firer([this] {
              wait_until([&] { return std::filesystem::exists(marker()); }, 10s);
              cancel.fire(CancelReason::sigterm);
          }) {}
    ~CancelOnceStarted() { m_firer.join(); }
    std::string marker() const { return m_dir.path() + "/started"; }
    Cancel cancel;

  private:
    TempDir m_dir;
    std::thread m_firer;
};

TEST(ProcessRunner, CancelEndsTheRun) {
    PosixProcessRunner runner;
    CancelOnceStarted firing;
    ProcessSpec spec = cmd({"sh", "-c", "echo $$; touch \"$0\"; sleep 30", firing.marker()});
    const auto start = Clock::now();
    auto result = runner.run(spec, Clock::now() + 20s, firing.cancel);
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->cancelled);
    EXPECT_FALSE(result->timed_out);
    EXPECT_EQ(result->describe(), "cancelled");
    EXPECT_LT(Clock::now() - start, 5s);
    const auto pids = pids_in(result->out);
    ASSERT_EQ(pids.size(), 1U);
    EXPECT_TRUE(wait_until([&] { return !group_alive(pids[0]); }, 5s));
}

// CPU time this thread has used.
std::chrono::nanoseconds thread_cpu() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// After Cancel fires the group gets SIGTERM and its grace period: the runner sleeps through
// it (the wait ignores the Cancel that has already fired, rather than spinning on it), keeps
// reading the pipes, and takes the exit status the child chose.
TEST(ProcessRunner, CancelledChildKeepsItsGraceAndItsLastWords) {
    PosixProcessRunner runner;
    CancelOnceStarted firing;
    ProcessSpec spec =
        cmd({"sh", "-c", "trap 'sleep 0.4; echo bye; exit 7' TERM; touch \"$0\"; sleep 30 & wait",
             firing.marker()});
    const auto cpu_before = thread_cpu();
    auto result = runner.run(spec, Clock::now() + 20s, firing.cancel);
    const auto cpu_used = thread_cpu() - cpu_before;
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->cancelled);
    EXPECT_EQ(result->exit_code, 7);
    EXPECT_EQ(result->signal, 0);
    EXPECT_EQ(result->out, "bye\n");
    // Waiting ~0.4 s of grace costs a few wake-ups, not a busy loop.
    EXPECT_LT(cpu_used, 100ms);
}

// A child waiting on something that died (compose on a frozen daemon) is ended when the
// watchdog says so, long before the deadline.
TEST(ProcessRunner, WatchdogEndsTheGroup) {
    PosixProcessRunner runner(200ms);
    ProcessSpec spec = cmd({"sh", "-c", "sleep 30 & echo $$ $!; wait"});
    std::vector<std::chrono::milliseconds> asked;
    spec.watchdog = [&](std::chrono::milliseconds running) {
        asked.push_back(running);
        return running >= 1900ms ? std::string("the daemon is gone") : std::string();
    };
    const auto start = Clock::now();
    const auto outcome = run_ok(runner, spec, 20s);
    EXPECT_LT(Clock::now() - start, 5s);
    EXPECT_FALSE(outcome.success());
    EXPECT_FALSE(outcome.timed_out);
    EXPECT_EQ(outcome.stopped, "the daemon is gone");
    EXPECT_EQ(outcome.describe(), "stopped: the daemon is gone");
    ASSERT_GE(asked.size(), 2u);
    EXPECT_GE(asked[0], 900ms);
    EXPECT_LT(asked[0], 1500ms);
    const auto pids = pids_in(outcome.out);
    ASSERT_EQ(pids.size(), 2U) << outcome.out;
    EXPECT_TRUE(wait_until([&] { return !group_alive(pids[0]); }, 5s));
}

TEST(ProcessRunner, FiredCancelOrPassedDeadlineStartsNothing) {
    TempDir dir;
    const std::string marker = dir.path() + "/ran";
    PosixProcessRunner runner;
    ProcessSpec spec = cmd({"touch", marker});
    Cancel fired;
    fired.fire(CancelReason::sigint);
    auto cancelled = runner.run(spec, Clock::now() + 10s, fired);
    ASSERT_TRUE(cancelled.ok());
    EXPECT_TRUE(cancelled->cancelled);
    Cancel idle;
    auto late = runner.run(spec, Clock::now() - 1ms, idle);
    ASSERT_TRUE(late.ok());
    EXPECT_TRUE(late->timed_out);
    EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(ProcessRunner, MissingExecutableIsAnError) {
    PosixProcessRunner runner;
    Cancel cancel;
    for (const std::string name : {"stagehand-no-such-tool", "/nonexistent/bin/tool"}) {
        auto result = runner.run(cmd({name}), Clock::now() + 5s, cancel);
        ASSERT_FALSE(result.ok());
        EXPECT_NE(result.error().message.find(name), std::string::npos) << result.error().message;
        EXPECT_EQ(result.error().code, ENOENT);
    }
    auto empty = runner.run(cmd({}), Clock::now() + 5s, cancel);
    EXPECT_FALSE(empty.ok());
}

TEST(ProcessRunner, ExecFailureIsAnError) {
    TempDir dir;
    const std::string script = dir.path() + "/no-shebang";
    std::ofstream(script) << "\x01\x02 not a program\n";
    ::chmod(script.c_str(), 0755);
    PosixProcessRunner runner;
    Cancel cancel;
    auto result = runner.run(cmd({script}), Clock::now() + 5s, cancel);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("failed to start " + script), std::string::npos)
        << result.error().message;
}

TEST(ProcessRunner, LeaksNoFds) {
    PosixProcessRunner runner;
    const std::size_t before = count_open_fds();
    run_ok(runner, cmd({"sh", "-c", "echo hi; echo there >&2"}));
    run_ok(runner, cmd({"sleep", "30"}), 50ms);
    {
        Cancel cancel;  // its eventfd is ours, not a leak: scoped out before counting
        EXPECT_FALSE(runner.run(cmd({"stagehand-no-such-tool"}), Clock::now() + 1s, cancel).ok());
    }
    EXPECT_EQ(count_open_fds(), before);
}

TEST(ProcessRunner, ChildSeesOnlyStdio) {
    // An fd we "forgot" to mark close-on-exec, at a number ls would never open itself.
    const int leaky = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaky, 0);
    ASSERT_EQ(::dup2(leaky, 100), 100);
    PosixProcessRunner runner;
    const auto outcome = run_ok(runner, cmd({"ls", "-l", "/proc/self/fd/"}));
    ::close(100);
    ::close(leaky);
    std::set<int> fds;
    std::istringstream lines(outcome.out);
    for (std::string line; std::getline(lines, line);) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) {
            continue;
        }
        const auto name_start = line.rfind(' ', arrow - 1) + 1;
        const int fd = std::stoi(line.substr(name_start, arrow - name_start));
        const std::string target = line.substr(arrow + 4);
        fds.insert(fd);
        if (fd == 0) {
            EXPECT_EQ(target, "/dev/null");
        } else if (fd <= 2) {
            EXPECT_EQ(target.rfind("pipe:", 0), 0U) << line;
        } else {
            // ls's own handle on the folder it lists.
            EXPECT_NE(target.find("/fd"), std::string::npos) << "inherited: " << line;
        }
    }
    EXPECT_TRUE(fds.count(0) && fds.count(1) && fds.count(2)) << outcome.out;
    EXPECT_EQ(fds.count(100), 0U) << outcome.out;
    EXPECT_LE(fds.size(), 4U) << outcome.out;
}

TEST(ProcessRunner, ChildSignalStateIsClean) {
    // What the runtime does in every thread: block TERM/INT, ignore PIPE.
    sigset_t block;
    sigset_t old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
    struct sigaction ignore {};
    struct sigaction old_pipe {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_pipe);

    PosixProcessRunner runner;
    const auto outcome = run_ok(runner, cmd({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"}));

    ::sigaction(SIGPIPE, &old_pipe, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    std::istringstream lines(outcome.out);
    std::string blocked;
    std::string ignored;
    lines >> blocked >> blocked >> ignored >> ignored;
    EXPECT_EQ(blocked, "0000000000000000") << outcome.out;
    // glibc's posix_spawn sets its two internal signals (32: SIGCANCEL, 33: SIGSETXID) to
    // SIG_IGN in every child and offers no way to reset them; nothing else may be ignored.
    EXPECT_EQ(std::stoull(ignored, nullptr, 16) & ~0x180000000ULL, 0U) << outcome.out;
}

TEST(ProcessRunner, InputReachesStdinThenEof) {
    PosixProcessRunner runner;
    // cat ends only at EOF: the write end must be closed in the parent and not inherited.
    ProcessSpec spec = cmd({"cat"});
    spec.input = "registry.example:5000\n";
    EXPECT_EQ(run_ok(runner, spec).out, "registry.example:5000\n");
    spec.input = std::string(ProcessSpec::k_max_input + 1, 'x');
    Cancel cancel;
    auto too_long = runner.run(spec, Clock::now() + 5s, cancel);
    ASSERT_FALSE(too_long.ok());
    EXPECT_EQ(too_long.error().code, E2BIG);
    // Without input, stdin is /dev/null (EOF at once).
    EXPECT_EQ(run_ok(runner, cmd({"cat"})).out, "");
}

TEST(ProcessRunner, AppliesEnvAndCwd) {
    TempDir dir;
    PosixProcessRunner runner;
    ProcessSpec spec = cmd({"sh", "-c", "echo \"$STAGEHAND_TEST_VAR|$HOME|$PATH\"; pwd"});
    spec.env = {{"STAGEHAND_TEST_VAR", "a b=c"}, {"HOME", "/nonexistent"}};
    spec.cwd = dir.path();
    const auto outcome = run_ok(runner, spec);
    const char* path = std::getenv("PATH");
    const std::string expected_path = path != nullptr ? path : "";
    EXPECT_EQ(outcome.out, "a b=c|/nonexistent|" + expected_path + "\n" +
                               std::filesystem::canonical(dir.path()).string() + "\n");

    spec.cwd = dir.path() + "/missing";
    Cancel cancel;
    auto bad = runner.run(spec, Clock::now() + 5s, cancel);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find(spec.cwd), std::string::npos) << bad.error().message;
}

TEST(ProcessRunner, LeaderExitWhileGrandchildHoldsPipes) {
    PosixProcessRunner runner;
    const auto start = Clock::now();
    // sleep inherits stdout and keeps the pipe open after sh exits.
    const auto outcome = run_ok(runner, cmd({"sh", "-c", "sleep 30 & echo $!"}));
    EXPECT_LT(Clock::now() - start, 2s);
    EXPECT_EQ(outcome.exit_code, 0);
    const auto pids = pids_in(outcome.out);
    ASSERT_EQ(pids.size(), 1U);
    // The leader exited: what is left of its group ends with it (SPEC section 2).
    EXPECT_TRUE(wait_until([&] { return process_gone(pids[0]); }, 2s)) << "sleep survived";
}

TEST(ProcessRunner, LeaderExitEndsItsBackgroundChildren) {
    PosixProcessRunner runner;
    // A probe script's `sleep 300 &` with its output elsewhere: the pipes close at once.
    const auto outcome =
        run_ok(runner, cmd({"sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $$ $!; exit 3"}));
    EXPECT_EQ(outcome.exit_code, 3);
    const auto pids = pids_in(outcome.out);
    ASSERT_EQ(pids.size(), 2U) << outcome.out;
    EXPECT_TRUE(wait_until([&] { return process_gone(pids[1]); }, 2s)) << "sleep survived";
    EXPECT_TRUE(wait_until([&] { return !group_alive(pids[0]); }, 2s));
}

TEST(ProcessRunner, ConcurrentRunsKeepTheirOwnOutput) {
    PosixProcessRunner runner;
    const std::size_t fds_before = count_open_fds();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 15; ++i) {
                const std::string word = "t" + std::to_string(t) + "-" + std::to_string(i);
                Cancel cancel;
                auto r = runner.run(cmd({"sh", "-c", "echo \"$0\"; echo \"$0\" >&2", word}),
                                    Clock::now() + 20s, cancel);
                if (!r.ok() || r->out != word + "\n" || r->err != word + "\n" || !r->success()) {
                    ++failures;
                }
            }
            // One run per thread that has to be ended, next to the others.
            Cancel cancel;
            auto slow = runner.run(cmd({"sleep", "30"}), Clock::now() + 100ms, cancel);
            if (!slow.ok() || !slow->timed_out) {
                ++failures;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(count_open_fds(), fds_before);
}

TEST(FindExecutable, SearchesPathThenFallbacks) {
    const std::string sh = find_executable("sh");
    ASSERT_FALSE(sh.empty());
    EXPECT_EQ(sh.front(), '/');
    EXPECT_EQ(find_executable("stagehand-no-such-tool"), "");
    EXPECT_EQ(find_executable("/bin/sh"), "/bin/sh");
    EXPECT_EQ(find_executable("/etc/passwd"), "");  // not executable
    EXPECT_EQ(find_executable(""), "");

    const char* old = std::getenv("PATH");
    const std::string saved = old != nullptr ? old : "";
    ::setenv("PATH", "/nonexistent:relative/dir:", 1);
    const std::string fallback = find_executable("sh");
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_EQ(fallback, "/usr/bin/sh");  // Debian 12 is merged-/usr
}

}  // namespace
}  // namespace stagehand::os
