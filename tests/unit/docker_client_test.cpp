// EngineDocker's HTTP client without a daemon: a unix socket that never answers (deadline,
// Cancel) and a scripted server (the event stream split at every byte, pull errors).
// docker_engine_test.cpp runs the same code against the real daemon.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "docker_test_support.hpp"
#include "os/docker/engine_docker.hpp"
#include "os/docker/engine_events.hpp"
#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using testing_support::contains;
using testing_support::in;
using testing_support::TempDir;

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

// Calls `call` on a daemon that accepts and never answers, with a 400 ms answer timeout:
// it must fail soon after that timeout (not at its deadline), as k_daemon_unresponsive,
// naming the socket, `silence` and `request`.
template <class Call>
void expect_silent_daemon_named(Call call, const std::string& silence, const std::string& request,
                                std::chrono::milliseconds answer_timeout) {
    SilentSocket daemon;
    EngineDocker docker(daemon.path, nullptr, answer_timeout);
    const Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    const util::Error error = call(docker, cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(error.code, k_daemon_unresponsive) << error.message;
    EXPECT_TRUE(contains(error.message, "Docker daemon at " + daemon.path + " " + silence))
        << error.message;
    EXPECT_TRUE(contains(error.message, request)) << error.message;
    EXPECT_GE(took, answer_timeout);
    EXPECT_LT(took, 3s);
}

// Calls `call` on a daemon that accepts and never answers, and fires the Cancel (SIGTERM)
// 100 ms in: the call must end "cancelled" (ECANCELED) within `within`.
template <class Call>
void expect_cancel_ends_it(Call call, std::chrono::milliseconds within) {
    SilentSocket daemon;
    EngineDocker docker(daemon.path);
    const Cancel cancel;
    std::thread firer([&] {
        std::this_thread::sleep_for(100ms);  // the request must be in flight, not pre-empted
        cancel.fire(CancelReason::sigterm);
    });
    const auto start = std::chrono::steady_clock::now();
    const util::Error error = call(docker, cancel);
    const auto took = std::chrono::steady_clock::now() - start;
    firer.join();
    EXPECT_EQ(error.code, ECANCELED) << error.message;
    EXPECT_TRUE(contains(error.message, "cancelled")) << error.message;
    EXPECT_LT(took, within);
}

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
    expect_cancel_ends_it(
        [](EngineDocker& docker, const Cancel& cancel) {
            return docker.pull("127.0.0.1:5000/x:1", in(60s), cancel).error();
        },
        5s);
}

// Issue 13 item 8: a daemon that accepts and never answers stalled every call until the run's
// deadline. Each call now gives the daemon a bounded time to answer, and says who is silent.
TEST(DockerEngineClient, SilentDaemonIsNamedAfterTheAnswerTimeout) {
    expect_silent_daemon_named(
        [](EngineDocker& docker, const Cancel& cancel) {
            return docker.list_containers("proj", in(5s), cancel).error();
        },
        "did not answer for 400ms", "GET /containers/json", 400ms);
    EXPECT_EQ(EngineClient::k_default_answer_timeout, 10s);
}

// While a call waits on a silent daemon, the observer hears about it about once a second
// (the hook turns that into progress lines), with what is awaited and for how long.
TEST(DockerEngineClient, WaitObserverHearsOfASilentDaemon) {
    SilentSocket daemon;
    EngineDocker docker(daemon.path, nullptr, 2500ms);
    std::vector<std::pair<std::string, std::chrono::milliseconds>> heard;
    docker.set_wait_observer([&](std::string_view what, std::chrono::milliseconds waited) {
        heard.emplace_back(std::string(what), waited);
    });
    const Cancel cancel;
    EXPECT_FALSE(docker.ping(in(10s), cancel).ok());
    ASSERT_GE(heard.size(), 2u);
    EXPECT_EQ(heard[0].first, "GET /_ping");
    EXPECT_GE(heard[0].second, 900ms);
    EXPECT_LE(heard[0].second, 1500ms);
    EXPECT_GT(heard[1].second, heard[0].second);
}

// A daemon so stuck that its accept queue is full: a non-blocking connect gets EAGAIN, which
// is not "in progress" (nothing to wait on), so the client tries again until the answer
// timeout names the daemon -- or Cancel ends the try at once.
TEST(DockerEngineClient, FullAcceptQueueIsAnUnansweredDaemon) {
    SilentSocket daemon;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    daemon.path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    std::vector<int> queued;  // fill the backlog of 4 (plus what Linux adds) with our own
    for (int i = 0; i < 64; ++i) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        queued.push_back(fd);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ASSERT_EQ(errno, EAGAIN);
            break;
        }
    }
    ASSERT_LT(queued.size(), 64u) << "the accept queue never filled";

    EngineDocker docker(daemon.path, nullptr, 400ms);
    const Cancel idle;
    auto start = std::chrono::steady_clock::now();
    auto pinged = docker.ping(in(5s), idle);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(pinged.ok());
    EXPECT_EQ(pinged.error().code, k_daemon_unresponsive) << pinged.error().message;
    EXPECT_TRUE(contains(pinged.error().message, "did not answer for 400ms (GET /_ping)"))
        << pinged.error().message;
    EXPECT_GE(took, 400ms);
    EXPECT_LT(took, 3s);

    const Cancel cancel;
    std::thread firer([&] {
        std::this_thread::sleep_for(100ms);
        cancel.fire(CancelReason::sigterm);
    });
    start = std::chrono::steady_clock::now();
    pinged = docker.ping(in(5s), cancel);
    took = std::chrono::steady_clock::now() - start;
    firer.join();
    ASSERT_FALSE(pinged.ok());
    EXPECT_EQ(pinged.error().code, ECANCELED) << pinged.error().message;
    EXPECT_LT(took, 350ms);
    for (const int fd : queued) {
        ::close(fd);
    }
}

// A daemon whose registry is slow: it answers pings at once and holds every other request
// (a pull) open without a word until it is destroyed.
class SlowRegistryDaemon {
  public:
    SilentSocket socket;
    std::atomic<int> pings{0};

    SlowRegistryDaemon() {
        m_thread = std::thread([this] {
            for (;;) {
                const int conn = ::accept4(socket.fd, nullptr, nullptr, SOCK_CLOEXEC);
                if (conn < 0 || m_stop) {
                    if (conn >= 0) {
                        ::close(conn);
                    }
                    return;
                }
                std::string head;
                char buf[4096];
                while (!contains(head, "\r\n\r\n")) {
                    const ssize_t n = ::read(conn, buf, sizeof buf);
                    if (n <= 0) {
                        break;
                    }
                    head.append(buf, static_cast<std::size_t>(n));
                }
                if (contains(head, "GET /_ping")) {
                    ++pings;
                    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
                    (void)!::write(conn, ok.data(), ok.size());
                    ::close(conn);
                } else {
                    m_held.push_back(conn);
                }
            }
        });
    }
    ~SlowRegistryDaemon() {
        m_stop = true;
        ::shutdown(socket.fd, SHUT_RDWR);  // ends the accept
        m_thread.join();
        for (const int conn : m_held) {
            ::close(conn);
        }
    }

  private:
    std::atomic<bool> m_stop{false};
    std::vector<int> m_held;
    std::thread m_thread;
};

// A pull is exempt from the answer timeout: the daemon says nothing while a slow registry
// answers it, so only the run's deadline (or the pull step's own timeout) bounds it, as long
// as the daemon itself still answers.
TEST(DockerEngineClient, PullOutwaitsTheAnswerTimeoutWhileTheDaemonAnswersPings) {
    SlowRegistryDaemon daemon;
    EngineDocker docker(daemon.socket.path, nullptr, 200ms);
    const Cancel cancel;
    const auto start = std::chrono::steady_clock::now();
    auto pulled = docker.pull("127.0.0.1:5000/x:1", in(1s), cancel);
    ASSERT_FALSE(pulled.ok());
    EXPECT_EQ(pulled.error().code, ETIMEDOUT) << pulled.error().message;
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_GE(daemon.pings.load(), 2) << "the daemon was not asked whether it is alive";
}

// A daemon that froze during a pull was waited on until the run's deadline (the appspec's
// timeout: often many minutes), silent as a slow registry is. A ping on its own connection
// after each answer timeout of silence tells the two apart: the frozen one is named.
TEST(DockerEngineClient, PullOnAFrozenDaemonIsNamed) {
    expect_silent_daemon_named(
        [](EngineDocker& docker, const Cancel& cancel) {
            return docker.pull("127.0.0.1:5000/x:1", in(10s), cancel).error();
        },
        "did not answer for 400ms (GET /_ping", "POST /images/create", 400ms);
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
    return testing::fixture("docker/" + name);
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
    auto stream = docker.events("shfix", Cancel());
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
    auto stream = docker.events("p", Cancel());
    ASSERT_FALSE(stream.ok());
    EXPECT_TRUE(contains(stream.error().message, "500")) << stream.error().message;
}

// A SIGTERM while the event stream opens on a daemon that accepts and never answers ended the
// open only at its 10 s bound: under the agent's `runas`, su SIGKILLs 2 s after its SIGTERM,
// so no verdict and no report. The open now ends on the run's Cancel like every other call.
TEST(DockerEngineEvents, CancelEndsTheOpenOnASilentDaemon) {
    expect_cancel_ends_it([](EngineDocker& docker,
                             const Cancel& cancel) { return docker.events("p", cancel).error(); },
                          1s);
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

}  // namespace
}  // namespace stagehand::os
