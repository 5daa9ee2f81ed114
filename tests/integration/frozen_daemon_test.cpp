// A frozen Docker daemon: its socket accepts connections and never answers (issue 13 item 8:
// after-install stalled 55-90 s without a line, then blamed a service at the deadline). The
// daemon is faked by a unix socket in a temp folder that DOCKER_HOST points at, so this test
// needs no Docker and runs without STAGEHAND_DOCKER_TESTS. It runs the after-install
// executable of a real bundle directly, timing each line as it arrives.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "support/bundle.hpp"

namespace stagehand::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Accepts every connection and keeps it open without reading or writing a byte.
class FrozenDaemon {
  public:
    explicit FrozenDaemon(const fs::path& path) : m_path(path.string()) {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        m_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(m_fd, 16), 0);
        m_thread = std::thread([this] {
            while (!m_stop) {
                pollfd pfd{m_fd, POLLIN, 0};
                if (::poll(&pfd, 1, 50) > 0) {
                    const int conn = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
                    if (conn >= 0) {
                        m_held.push_back(conn);
                    }
                }
            }
        });
    }
    ~FrozenDaemon() {
        m_stop = true;
        m_thread.join();
        for (const int fd : m_held) {
            ::close(fd);
        }
        ::close(m_fd);
    }
    const std::string& path() const { return m_path; }
    std::size_t accepted() const { return m_held.size(); }

  private:
    std::string m_path;
    int m_fd = -1;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_held;
    std::thread m_thread;
};

struct TimedLine {
    Clock::duration at;  // since the hook started
    std::string text;
};

class FrozenDaemonTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "stagehand-frozen-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_dir = pattern;
    }
    void TearDown() override {
        if (!HasFailure()) {
            fs::remove_all(m_dir);
        }
    }

    fs::path bundle() {
        StackSpec spec;
        spec.project = "frozen" + std::to_string(::getpid());
        spec.state_dir = m_dir / "state";
        spec.log_dir = m_dir / "log";
        spec.install_dir = m_dir / "install";
        spec.services = {service("s1", standin_image("rabbitmq"), 0)};
        return write_bundle(m_dir / "rev", spec, HookBinaries{STAGEHAND_HOOK_DIR});
    }

    // Runs `hook` with DOCKER_HOST at the fake daemon: its stdout (stderr merged) line by
    // line with arrival times, and its exit status.
    int run(const fs::path& hook, const std::string& socket, std::vector<TimedLine>& lines) {
        // timeout(1): a hook that hangs on the daemon (the defect) still ends the test.
        const std::string command = "DOCKER_HOST=unix://" + socket + " exec timeout -k 5 60 '" +
                                    hook.string() + "' </dev/null 2>&1";
        const auto started = Clock::now();
        FILE* out = ::popen(command.c_str(), "r");
        if (out == nullptr) {
            ADD_FAILURE() << "popen failed";
            return -1;
        }
        char buf[4096];
        while (std::fgets(buf, sizeof buf, out) != nullptr) {
            std::string text(buf);
            if (!text.empty() && text.back() == '\n') {
                text.pop_back();
            }
            lines.push_back({Clock::now() - started, text});
        }
        const int status = ::pclose(out);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    fs::path m_dir;
};

std::string dump(const std::vector<TimedLine>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += std::to_string(std::chrono::duration_cast<milliseconds>(line.at).count()) + "ms  " +
               line.text + "\n";
    }
    return out;
}

TEST_F(FrozenDaemonTest, AfterInstallNamesTheSilentDaemonAndKeepsTalking) {
    const fs::path rev = bundle();
    FrozenDaemon daemon(m_dir / "docker.sock");
    std::vector<TimedLine> lines;
    const int status = run(rev / "hooks" / "after-install", daemon.path(), lines);
    ASSERT_FALSE(lines.empty());
    EXPECT_GE(daemon.accepted(), 1u);
    EXPECT_EQ(status, 1) << dump(lines);
    const std::string& verdict = lines.back().text;
    EXPECT_EQ(
        verdict.rfind("FAILED: Docker daemon at " + daemon.path() + " did not answer for 10s", 0),
        0u)
        << dump(lines);
    // Named at the answer timeout, not at the deadline (30 minutes outside CodeDeploy).
    EXPECT_LT(lines.back().at, seconds(20)) << dump(lines);
    // SPEC section 2: a wait prints progress at most 5 s apart (plus the throttle's tick).
    Clock::duration previous{};
    for (const auto& line : lines) {
        EXPECT_LE(line.at - previous, milliseconds(5500))
            << "no line for "
            << std::chrono::duration_cast<milliseconds>(line.at - previous).count()
            << " ms before: " << line.text << "\n"
            << dump(lines);
        previous = line.at;
    }
    bool waiting_line = false;
    for (const auto& line : lines) {
        waiting_line = waiting_line || line.text.find("waiting for the Docker daemon at " +
                                                      daemon.path()) != std::string::npos;
    }
    EXPECT_TRUE(waiting_line) << dump(lines);
    RecordProperty("lines", dump(lines));
}

}  // namespace
}  // namespace stagehand::integration
