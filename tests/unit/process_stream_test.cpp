// Real-process tests for PosixProcessRunner::stream (the `docker events` reader).
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "os/process/posix_runner.hpp"

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ProcessSpec shell(const std::string& script) {
    ProcessSpec spec;
    spec.argv = {"sh", "-c", script};
    return spec;
}

// Polls the stream's fd and collects lines until `enough(lines)` or finished(), up to `limit`.
std::vector<std::string> collect(LineStream& stream, std::chrono::milliseconds limit,
                                 bool (*enough)(const std::vector<std::string>&)) {
    std::vector<std::string> lines;
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        for (auto& line : stream.take_lines()) {
            lines.push_back(std::move(line));
        }
        if ((enough != nullptr && enough(lines)) || stream.finished()) {
            break;
        }
        pollfd pfd{stream.fd(), POLLIN, 0};
        (void)::poll(&pfd, 1, 100);
    }
    for (auto& line : stream.take_lines()) {
        lines.push_back(std::move(line));
    }
    return lines;
}

bool pid_gone(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    return close == std::string::npos || text.at(close + 2) == 'Z';
}

TEST(LineStream, ReadsLinesUntilExit) {
    PosixProcessRunner runner;
    auto stream = runner.stream(
        shell("for i in 1 2 3; do echo line$i; done; echo oops >&2; printf 'no newline'; exit 3"));
    ASSERT_TRUE(stream.ok()) << stream.error().message;
    const auto lines = collect(**stream, 10s, nullptr);
    EXPECT_EQ(lines, (std::vector<std::string>{"line1", "line2", "line3", "no newline"}));
    ASSERT_TRUE((*stream)->finished());
    const ProcessOutcome outcome = (*stream)->outcome();
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_EQ(outcome.err, "oops\n");
    EXPECT_TRUE((*stream)->take_lines().empty());
}

TEST(LineStream, DestructorEndsTheGroup) {
    PosixProcessRunner runner(300ms);
    pid_t leader = 0;
    {
        auto stream = runner.stream(shell("echo $$; while :; do echo tick; sleep 0.05; done"));
        ASSERT_TRUE(stream.ok());
        const auto lines = collect(
            **stream, 10s, [](const std::vector<std::string>& got) { return got.size() >= 3; });
        ASSERT_GE(lines.size(), 3U);
        EXPECT_EQ(lines[1], "tick");
        leader = static_cast<pid_t>(std::stol(lines[0]));
        EXPECT_FALSE((*stream)->finished());
        EXPECT_FALSE(pid_gone(leader));
    }
    // Reaped by the destructor, so the pid is gone at once, not a zombie.
    EXPECT_NE(::kill(leader, 0), 0);
    // Other members were killed too; whoever adopted them may take a moment to reap.
    const auto limit = Clock::now() + 5s;
    while (::kill(-leader, 0) == 0 && Clock::now() < limit) {
        pollfd none{-1, 0, 0};
        (void)::poll(&none, 1, 10);
    }
    EXPECT_NE(::kill(-leader, 0), 0) << "a member of the group survived";
}

TEST(LineStream, ChildThatClosesStdoutButLingersIsEnded) {
    PosixProcessRunner runner(300ms);
    auto stream = runner.stream(shell("echo bye; exec >&-; sleep 30"));
    ASSERT_TRUE(stream.ok());
    const auto wall = Clock::now();
    const std::clock_t cpu = std::clock();
    const auto lines = collect(**stream, 10s, nullptr);
    EXPECT_EQ(lines, (std::vector<std::string>{"bye"}));
    ASSERT_TRUE((*stream)->finished());
    EXPECT_EQ((*stream)->outcome().signal, SIGTERM);
    EXPECT_LT(Clock::now() - wall, 5s);
    // Waiting out the grace period must sleep, not spin on the EOF'd pipe.
    EXPECT_LT(static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC, 0.04);
}

TEST(LineStream, CutsOverlongLines) {
    PosixProcessRunner runner;
    ProcessSpec spec = shell("printf 'abcdefghij\\nxy\\n'");
    spec.max_output = 4;
    auto stream = runner.stream(spec);
    ASSERT_TRUE(stream.ok());
    const auto lines = collect(**stream, 10s, nullptr);
    EXPECT_EQ(lines, (std::vector<std::string>{"abcd", "efgh", "ij", "xy"}));
}

TEST(LineStream, MissingExecutableIsAnError) {
    PosixProcessRunner runner;
    ProcessSpec spec;
    spec.argv = {"stagehand-no-such-docker", "events"};
    auto stream = runner.stream(spec);
    ASSERT_FALSE(stream.ok());
    EXPECT_NE(stream.error().message.find("stagehand-no-such-docker"), std::string::npos);
}

}  // namespace
}  // namespace stagehand::os
