// EngineDocker against the real daemon. Runs only with STAGEHAND_DOCKER_TESTS set (the test
// command sets it after `rig/world.sh up`; a missing daemon then fails). Everything a test
// creates carries the label stagehand.test=<run id> and is removed in TearDown, failure
// included. Registry: $STAGEHAND_TEST_REGISTRY, default 127.0.0.1:5000.

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "docker_test_support.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/docker/engine_json.hpp"
#include "os/process/posix_runner.hpp"

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using testing_support::contains;
using testing_support::in;
using testing_support::TempDir;

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

// Runs a command for the test's own setup (the product never spawns the docker CLI).
ProcessOutcome sh(const std::vector<std::string>& argv, std::chrono::seconds timeout = 120s) {
    PosixProcessRunner runner;
    const Cancel cancel;
    ProcessSpec spec;
    spec.argv = argv;
    auto outcome = runner.run(spec, in(timeout), cancel);
    EXPECT_TRUE(outcome.ok()) << argv[0] << ": " << outcome.error().message;
    return outcome.ok() ? std::move(outcome).value() : ProcessOutcome{};
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

class DockerEngine : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::getenv("STAGEHAND_DOCKER_TESTS") == nullptr) {
            GTEST_SKIP() << "set STAGEHAND_DOCKER_TESTS=1 to run against the Docker daemon";
        }
        auto made = make_engine_docker(std::getenv("DOCKER_HOST"));
        ASSERT_TRUE(made.ok()) << made.error().message;
        m_docker = std::move(made).value();
        ASSERT_TRUE(m_docker->ping(in(10s), m_cancel).ok());
        m_image = "stagehand-test/busybox:" + m_run;
        // An image FROM scratch holding busybox-static: a few MB, built in about a second.
        TempDir context;
        fs::copy_file("/usr/bin/busybox", context.path / "busybox");
        std::ofstream(context.path / "Dockerfile") << "FROM scratch\nCOPY busybox /bin/busybox\n"
                                                      "CMD [\"/bin/busybox\",\"sleep\",\"3600\"]\n";
        const auto built =
            sh({"docker", "build", "-q", "--label", label(), "-t", m_image, context.path.string()});
        ASSERT_TRUE(built.success()) << built.err;
    }

    // Removes every container and image labelled with this run, whatever happened.
    void TearDown() override {
        if (m_docker == nullptr) {
            return;
        }
        const auto containers = sh({"docker", "ps", "-aq", "--filter", "label=" + label()});
        std::istringstream ids(containers.out);
        for (std::string id; ids >> id;) {
            sh({"docker", "rm", "-f", id});
        }
        const auto images = sh({"docker", "images", "-q", "--filter", "label=" + label()});
        std::istringstream image_ids(images.out);
        for (std::string id; image_ids >> id;) {
            sh({"docker", "rmi", "-f", id});
        }
        if (!m_pushed_digest.empty()) {
            // The registry keeps pushed manifests; delete ours (its config enables deletes).
            sh({"curl", "-fsS", "-X", "DELETE",
                "http://" + registry() + "/v2/stagehand-test/busybox/manifests/" +
                    m_pushed_digest});
        }
        EXPECT_TRUE(trim(sh({"docker", "ps", "-aq", "--filter", "label=" + label()}).out).empty());
    }

    std::string label() const { return "stagehand.test=" + m_run; }
    std::string project() const { return "shtest" + m_run; }
    static std::string registry() { return env_or("STAGEHAND_TEST_REGISTRY", "127.0.0.1:5000"); }

    // `docker run -d` of the test image as compose would label service `service`.
    std::string run_service(const std::string& service, std::vector<std::string> extra,
                            std::vector<std::string> command) {
        std::vector<std::string> argv = {"docker",
                                         "run",
                                         "-d",
                                         "--label",
                                         label(),
                                         "--label",
                                         "com.docker.compose.project=" + project(),
                                         "--label",
                                         "com.docker.compose.service=" + service};
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(m_image);
        argv.insert(argv.end(), command.begin(), command.end());
        const auto ran = sh(argv);
        EXPECT_TRUE(ran.success()) << ran.err;
        return trim(ran.out);
    }

    // Waits (on the stream's fd) for an event matching `want`, up to 30 s.
    std::optional<DockerEvent> wait_event(EventStream& stream,
                                          const std::function<bool(const DockerEvent&)>& want) {
        const auto deadline = in(30s);
        while (std::chrono::steady_clock::now() < deadline && !stream.finished()) {
            for (auto& event : stream.take_events()) {
                if (want(event)) {
                    return event;
                }
            }
            pollfd pfd{stream.fd(), POLLIN, 0};
            (void)::poll(&pfd, 1, 200);
        }
        return std::nullopt;
    }

    // Polls inspect until the container is no longer running, up to 30 s.
    ContainerState wait_exited(const std::string& id) {
        const auto deadline = in(30s);
        for (;;) {
            auto state = m_docker->inspect(id, in(10s), m_cancel);
            if (!state.ok() || !state->running || std::chrono::steady_clock::now() > deadline) {
                return state.ok() ? *state : ContainerState{};
            }
            std::this_thread::sleep_for(50ms);
        }
    }

    Cancel m_cancel;
    std::unique_ptr<EngineDocker> m_docker;
    std::string m_run =
        std::to_string(::getpid()) + "x" +
        std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1'000'000);
    std::string m_image;
    std::string m_pushed_digest;
};

TEST_F(DockerEngine, ContainersEventsAndLogs) {
    auto stream = m_docker->events(project(), m_cancel);
    ASSERT_TRUE(stream.ok()) << stream.error().message;
    const std::string id = run_service(
        "web", {}, {"/bin/busybox", "sh", "-c", "echo out one; echo err two >&2; exec sleep 3600"});
    ASSERT_FALSE(id.empty());
    auto started = wait_event(**stream, [&](const DockerEvent& e) { return e.action == "start"; });
    ASSERT_TRUE(started.has_value());
    EXPECT_EQ(started->container_id, id);
    EXPECT_EQ(started->service, "web");

    auto containers = m_docker->project_containers(project(), in(10s), m_cancel);
    ASSERT_TRUE(containers.ok()) << containers.error().message;
    ASSERT_EQ(containers->size(), 1u);
    const ContainerState& c = containers->front();
    EXPECT_EQ(c.id, id);
    EXPECT_EQ(c.service, "web");
    EXPECT_TRUE(c.running);
    EXPECT_EQ(c.status, "running");
    EXPECT_GT(c.pid, 0);
    EXPECT_EQ(c.image, m_image);
    EXPECT_TRUE(c.image_id.starts_with("sha256:"));
    EXPECT_TRUE(parse_rfc3339(c.started_at).has_value()) << c.started_at;
    // The one-request list agrees with list + inspect on what it reports.
    auto listed = m_docker->list_containers(project(), in(10s), m_cancel);
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().id, id);
    EXPECT_EQ(listed->front().service, "web");
    EXPECT_EQ(listed->front().status, "running");
    EXPECT_TRUE(listed->front().running);
    EXPECT_EQ(listed->front().image, m_image);
    EXPECT_EQ(listed->front().host_network, c.host_network);
    EXPECT_EQ(listed->front().ip_address, c.ip_address);

    // Output may lag the start a little: wait for both lines.
    std::vector<std::string> lines;
    for (auto deadline = in(10s); std::chrono::steady_clock::now() < deadline;) {
        auto tail = m_docker->logs_tail(id, 10, in(10s), m_cancel);
        ASSERT_TRUE(tail.ok()) << tail.error().message;
        lines = *tail;
        if (lines.size() >= 2) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()),
              (std::set<std::string>{"out one", "err two"}));
    EXPECT_EQ(m_docker->logs_tail(id, 1, in(10s), m_cancel)->size(), 1u);
    auto since = m_docker->logs_since_start(id, in(10s), m_cancel);
    ASSERT_TRUE(since.ok()) << since.error().message;
    EXPECT_TRUE(contains(*since, "out one\n")) << *since;

    sh({"docker", "kill", id});
    auto died = wait_event(**stream, [&](const DockerEvent& e) { return e.action == "die"; });
    ASSERT_TRUE(died.has_value());
    EXPECT_EQ(died->exit_code, 137);
    const ContainerState exited = wait_exited(id);
    EXPECT_FALSE(exited.running);
    EXPECT_EQ(exited.status, "exited");
    EXPECT_EQ(exited.exit_code, 137);

    auto missing = m_docker->inspect("stagehand-no-such-container", in(10s), m_cancel);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ENOENT);
}

TEST_F(DockerEngine, TtyLogsAndLogsOfTheCurrentRunOnly) {
    const std::string tty = run_service(
        "tty", {"-t"}, {"/bin/busybox", "sh", "-c", "echo tty one; echo tty two; sleep 3600"});
    // A service that prints a line per run, restarted: only the current run's line counts.
    const std::string twice =
        run_service("twice", {}, {"/bin/busybox", "sh", "-c", "echo ran; exec sleep 3600"});
    std::vector<std::string> all;
    const auto wait_lines = [&](std::size_t n) {
        for (auto deadline = in(10s); std::chrono::steady_clock::now() < deadline;) {
            all = *m_docker->logs_tail(twice, 10, in(10s), m_cancel);
            if (all.size() >= n) {
                break;
            }
            std::this_thread::sleep_for(50ms);
        }
    };
    wait_lines(1);
    ASSERT_TRUE(sh({"docker", "restart", "-t", "0", twice}).success());
    wait_lines(2);
    EXPECT_EQ(all, (std::vector<std::string>{"ran", "ran"}));
    auto current = m_docker->logs_since_start(twice, in(10s), m_cancel);
    ASSERT_TRUE(current.ok()) << current.error().message;
    EXPECT_EQ(*current, "ran\n");

    std::vector<std::string> tty_lines;
    for (auto deadline = in(10s); std::chrono::steady_clock::now() < deadline;) {
        tty_lines = *m_docker->logs_tail(tty, 10, in(10s), m_cancel);
        if (tty_lines.size() >= 2) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(tty_lines, (std::vector<std::string>{"tty one", "tty two"}));
}

TEST_F(DockerEngine, ImagesPullAndPullErrors) {
    EXPECT_TRUE(*m_docker->image_present(m_image, in(10s), m_cancel));
    EXPECT_FALSE(*m_docker->image_present("stagehand-test/none:" + m_run, in(10s), m_cancel));
    EXPECT_EQ(*m_docker->image_digest(m_image, in(10s), m_cancel), "");  // built, never pushed
    auto images = m_docker->list_images(in(10s), m_cancel);
    ASSERT_TRUE(images.ok()) << images.error().message;
    bool listed = false;
    for (const auto& [ref, image_id] : *images) {
        listed = listed || ref == m_image;
    }
    EXPECT_TRUE(listed);

    // Push through the CLI (setup), drop the local tag, pull it back through the API.
    const std::string remote = registry() + "/stagehand-test/busybox:" + m_run;
    ASSERT_TRUE(sh({"docker", "tag", m_image, remote}).success());
    const auto pushed = sh({"docker", "push", remote});
    ASSERT_TRUE(pushed.success()) << pushed.err << " (is a registry running at " << registry()
                                  << "? rig/world.sh up)";
    const auto digest_at = pushed.out.find("digest: ");
    ASSERT_NE(digest_at, std::string::npos) << pushed.out;
    m_pushed_digest = pushed.out.substr(digest_at + 8, 71);
    ASSERT_TRUE(m_docker->remove_image(remote, in(10s), m_cancel).ok());
    EXPECT_FALSE(*m_docker->image_present(remote, in(10s), m_cancel));
    auto pulled = m_docker->pull(remote, in(60s), m_cancel);
    ASSERT_TRUE(pulled.ok()) << pulled.error().message;
    EXPECT_EQ(pulled->digest, m_pushed_digest);
    EXPECT_TRUE(contains(pulled->output, "Status: ")) << pulled->output;
    EXPECT_TRUE(*m_docker->image_present(remote, in(10s), m_cancel));
    EXPECT_EQ(*m_docker->image_digest(remote, in(10s), m_cancel), m_pushed_digest);

    auto unknown = m_docker->pull(registry() + "/stagehand-test/none:" + m_run, in(60s), m_cancel);
    ASSERT_FALSE(unknown.ok());
    EXPECT_TRUE(contains(unknown.error().message, "manifest unknown")) << unknown.error().message;
    EXPECT_TRUE(unknown.error().message.starts_with("failed to pull " + registry()));
    auto unreachable = m_docker->pull("127.0.0.1:1/stagehand-test/none:1", in(60s), m_cancel);
    ASSERT_FALSE(unreachable.ok());
    EXPECT_TRUE(contains(unreachable.error().message, "connection refused"))
        << unreachable.error().message;

    // An image a container uses cannot be removed (no force); a second tag is only untagged.
    run_service("user", {}, {"/bin/busybox", "true"});
    EXPECT_TRUE(m_docker->remove_image(remote, in(10s), m_cancel).ok());
    auto in_use = m_docker->remove_image(m_image, in(10s), m_cancel);
    ASSERT_FALSE(in_use.ok());
    EXPECT_TRUE(contains(in_use.error().message, "conflict")) << in_use.error().message;
}

}  // namespace
}  // namespace stagehand::os
