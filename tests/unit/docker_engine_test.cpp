// EngineDocker and its HTTP client. The first suites need no daemon: a unix socket that never
// answers (deadline, Cancel) and a scripted server (the event stream split at every byte).
// The DockerEngine suite talks to the real daemon and runs only with STAGEHAND_DOCKER_TESTS
// set (the test command sets it after `rig/world.sh up`; a missing daemon then fails).
// Everything it creates carries the label stagehand.test=<run id> and is removed on exit,
// failure included. Registry: $STAGEHAND_TEST_REGISTRY, default 127.0.0.1:5000.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
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

#include "os/docker/engine_docker.hpp"
#include "os/docker/engine_events.hpp"
#include "os/process/posix_runner.hpp"

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

MonoTime in(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A temp folder removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "sh-docker-XXXXXX").string();
        path = ::mkdtemp(templ.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A listening unix socket that is never accepted: connect and write succeed (backlog), the
// answer never comes -- a daemon that hangs.
struct SilentSocket {
    TempDir dir;
    std::string path = (dir.path / "docker.sock").string();
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    SilentSocket() {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd, 4), 0);
    }
    ~SilentSocket() { ::close(fd); }
};

TEST(DockerEngineClient, SocketPathFromDockerHost) {
    EXPECT_EQ(*docker_socket_path(nullptr), "/var/run/docker.sock");
    EXPECT_EQ(*docker_socket_path(""), "/var/run/docker.sock");
    EXPECT_EQ(*docker_socket_path("unix:///run/user/1000/docker.sock"),
              "/run/user/1000/docker.sock");
    auto tcp = docker_socket_path("tcp://10.0.0.1:2375");
    ASSERT_FALSE(tcp.ok());
    EXPECT_TRUE(contains(tcp.error().message, "DOCKER_HOST=tcp://10.0.0.1:2375"));
    EXPECT_FALSE(docker_socket_path("unix://").ok());
    EXPECT_EQ(url_encode("{\"a\":[\"b=c\"]}"), "%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D");
    EXPECT_EQ(url_encode_path("127.0.0.1:5000/a/b:1@sha256:x y"),
              "127.0.0.1:5000/a/b:1@sha256:x%20y");
}

TEST(DockerEngineClient, MissingSocketSaysHowToFixIt) {
    TempDir dir;
    EngineDocker docker((dir.path / "nope.sock").string());
    const Cancel cancel;
    auto status = docker.ping(in(2s), cancel);
    ASSERT_FALSE(status.ok());
    EXPECT_TRUE(contains(status.error().message,
                         "Docker daemon is not reachable at " + (dir.path / "nope.sock").string()))
        << status.error().message;
    EXPECT_TRUE(contains(status.error().message, "systemctl start docker"));
    EXPECT_TRUE(contains(status.error().message, "DOCKER_HOST"));
}

TEST(DockerEngineClient, HungDaemonHitsTheDeadline) {
    SilentSocket daemon;
    EngineDocker docker(daemon.path);
    const Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    auto status = docker.ping(in(300ms), cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, ETIMEDOUT);
    EXPECT_TRUE(contains(status.error().message, "timed out")) << status.error().message;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
}

TEST(DockerEngineClient, CancelEndsAHungRequest) {
    SilentSocket daemon;
    EngineDocker docker(daemon.path);
    const Cancel cancel;
    std::thread firer([&] {
        std::this_thread::sleep_for(100ms);  // the request must be in flight, not pre-empted
        cancel.fire(CancelReason::sigterm);
    });
    const auto start = std::chrono::steady_clock::now();
    auto pulled = docker.pull("127.0.0.1:5000/x:1", in(60s), cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    firer.join();
    ASSERT_FALSE(pulled.ok());
    EXPECT_EQ(pulled.error().code, ECANCELED);
    EXPECT_TRUE(contains(pulled.error().message, "cancelled")) << pulled.error().message;
    EXPECT_LT(took, 5s);
}

// Accepts one connection, reads the request head, then sends `head` and each of `pieces`
// separately (flushing the socket between them) and closes.
class ScriptedDaemon {
  public:
    SilentSocket socket;
    std::string request;

    void serve(std::string head, std::vector<std::string> pieces) {
        m_thread = std::thread([this, head = std::move(head), pieces = std::move(pieces)] {
            const int conn = ::accept4(socket.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn < 0) {
                return;
            }
            char buf[4096];
            while (!contains(request, "\r\n\r\n")) {
                const ssize_t n = ::read(conn, buf, sizeof buf);
                if (n <= 0) {
                    break;
                }
                request.append(buf, static_cast<std::size_t>(n));
            }
            (void)!::write(conn, head.data(), head.size());
            for (const auto& piece : pieces) {
                (void)!::write(conn, piece.data(), piece.size());
                std::this_thread::sleep_for(1ms);
            }
            ::close(conn);
        });
    }
    ~ScriptedDaemon() {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }

  private:
    std::thread m_thread;
};

std::string fixture(const std::string& name) {
    std::ifstream in_file(std::string(STAGEHAND_FIXTURES) + "/docker/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in_file.rdbuf();
    return ss.str();
}

// Collects events until the stream ends (or 10 s pass), waiting on its fd.
std::vector<DockerEvent> drain(EventStream& stream) {
    std::vector<DockerEvent> all;
    const auto deadline = in(10s);
    while (!stream.finished() && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{stream.fd(), POLLIN, 0};
        (void)::poll(&pfd, 1, 100);
        for (auto& e : stream.take_events()) {
            all.push_back(std::move(e));
        }
    }
    for (auto& e : stream.take_events()) {
        all.push_back(std::move(e));
    }
    return all;
}

TEST(DockerEngineEvents, ChunkedStreamSplitAnywhere) {
    const std::string body = fixture("events_filtered.jsonl");
    // Chunks of 5 bytes, each chunk's framing written in two pieces: every boundary kind.
    std::vector<std::string> pieces;
    for (std::size_t pos = 0; pos < body.size(); pos += 5) {
        const std::string chunk = body.substr(pos, 5);
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        pieces.emplace_back(size);
        pieces.push_back(chunk + "\r\n");
    }
    pieces.emplace_back("0\r\n\r\n");
    ScriptedDaemon daemon;
    daemon.serve(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        pieces);
    EngineDocker docker(daemon.socket.path);
    auto stream = docker.events("shfix");
    ASSERT_TRUE(stream.ok()) << stream.error().message;
    const auto events = drain(**stream);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].action, "create");
    EXPECT_EQ(events[1].action, "start");
    EXPECT_EQ(events[2].action, "health_status");
    EXPECT_EQ(events[2].health, "healthy");
    EXPECT_EQ(events[2].service, "web");
    EXPECT_TRUE((*stream)->finished());
    // The request asked for this project's container events only, and a few actions.
    EXPECT_TRUE(contains(daemon.request, "GET /events?filters="));
    EXPECT_TRUE(contains(daemon.request, "com.docker.compose.project%3Dshfix"));
    EXPECT_TRUE(contains(daemon.request, "health_status"));
}

TEST(DockerEngineEvents, ErrorAnswerIsAnError) {
    ScriptedDaemon daemon;
    daemon.serve("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}", {});
    EngineDocker docker(daemon.socket.path);
    auto stream = docker.events("p");
    ASSERT_FALSE(stream.ok());
    EXPECT_TRUE(contains(stream.error().message, "500")) << stream.error().message;
}

TEST(DockerEnginePull, ErrorInsideTheStreamIsVerbatim) {
    const std::string body = fixture("pull_stream_error.jsonl");
    ScriptedDaemon daemon;
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    daemon.serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                 {size, body + "\r\n", "0\r\n\r\n"});
    EngineDocker docker(daemon.socket.path);
    const Cancel cancel;
    auto pulled = docker.pull("127.0.0.1:5055/sh-test/broken:1", in(10s), cancel);
    ASSERT_FALSE(pulled.ok());
    EXPECT_EQ(pulled.error().message,
              "failed to pull 127.0.0.1:5055/sh-test/broken:1: unknown blob");
    EXPECT_TRUE(
        contains(daemon.request,
                 "POST /images/create?fromImage=127.0.0.1%3A5055%2Fsh-test%2Fbroken&tag=1 "));
}

// ---- against the real daemon ----

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

// Runs a command for the test's own setup (the product never spawns the docker CLI).
ProcessOutcome sh(const std::vector<std::string>& argv, std::chrono::seconds timeout = 120s) {
    PosixProcessRunner runner;
    const Cancel cancel;
    auto outcome = runner.run(ProcessSpec{argv, {}, "", 1 << 20}, in(timeout), cancel);
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
    auto stream = m_docker->events(project());
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
