// ProbeRunner against FakeDocker, a scripted resolver and process runner, and real loopback
// servers for http/tcp (real time: the network deadlines are on steady_clock).
#include "steps/probe/probe_runner.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "os/process/posix_runner.hpp"
#include "os/sys/read_file.hpp"

#include "net_test_server.hpp"
#include "support/fake_docker.hpp"

namespace stagehand::steps {
namespace {

using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::FakeDocker;
using testing::running_container;
using testing::TestServer;

class FakeResolver final : public os::Resolver {
  public:
    std::map<std::string, std::string> names;  // host -> address literal
    std::vector<std::string> asked;
    util::Result<std::vector<os::IpAddress>> resolve(const std::string& host, os::MonoTime,
                                                     const os::Cancel&) override {
        asked.push_back(host);
        auto it = names.find(host);
        if (it == names.end()) {
            return util::Error{"cannot resolve " + host + ": Domain name not found"};
        }
        return std::vector<os::IpAddress>{*os::parse_ip_literal(it->second)};
    }
};

class FakeRunner final : public os::ProcessRunner {
  public:
    os::ProcessOutcome outcome;
    std::vector<os::ProcessSpec> specs;
    std::vector<os::MonoTime> deadlines;
    util::Result<os::ProcessOutcome> run(const os::ProcessSpec& spec, os::MonoTime deadline,
                                         const os::Cancel&) override {
        specs.push_back(spec);
        deadlines.push_back(deadline);
        return outcome;
    }
};

core::Probe http_probe(const std::string& host, int port, const std::string& path = "/health") {
    core::Probe p;
    p.kind = core::ProbeKind::http;
    p.http.url = "http://" + host + ":" + std::to_string(port) + path;
    p.http.host_port = {host, port};
    p.http.path_and_query = path;
    p.status_ranges = {{200, 399}};
    return p;
}

core::Probe tcp_probe(const std::string& host, int port) {
    core::Probe p;
    p.kind = core::ProbeKind::tcp;
    p.tcp = {host, port};
    return p;
}

core::Probe simple(core::ProbeKind kind) {
    core::Probe p;
    p.kind = kind;
    return p;
}

TestServer::Handler answer(std::string response) {
    return [response](TestServer& server, int fd, const os::Cancel& stop) {
        server.read_request(fd, stop);
        TestServer::write_all(fd, response);
    };
}

class ProbeRunnerTest : public ::testing::Test {
  protected:
    ProbeResult attempt(const std::string& service, const core::Probe& probe,
                        const std::vector<os::ContainerState>* snapshot = nullptr) {
        return runner.attempt(service, probe, snapshot, clock.now() + std::chrono::seconds(10),
                              cancel);
    }

    os::SystemClock clock;
    os::Cancel cancel;
    FakeDocker docker;
    FakeRunner process;
    FakeResolver resolver;
    ProbeRunner runner{clock, docker, process, resolver, "proj", {"web", "db", "ghost"}};
};

TEST_F(ProbeRunnerTest, HttpToServiceNameUsesContainerAddress) {
    TestServer server(AF_INET, answer("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n"
                                      "{\"status\":\"UP\"}"));
    docker.set_containers({running_container("web", "c1", "127.0.0.1")});
    core::Probe probe = http_probe("web", server.port());
    probe.body = "\"status\":\"UP\"";
    const ProbeResult result = attempt("web", probe);
    EXPECT_TRUE(result.passed) << result.error;
    EXPECT_EQ(docker.count("project_containers proj"), 1);
    EXPECT_TRUE(resolver.asked.empty());
    EXPECT_NE(server.last_request().find("Host: web:" + std::to_string(server.port())),
              std::string::npos);
}

TEST_F(ProbeRunnerTest, HttpStatusAndBodyFailures) {
    TestServer bad(AF_INET, answer("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"));
    docker.set_containers({running_container("web", "c1", "127.0.0.1")});
    ProbeResult result = attempt("web", http_probe("web", bad.port()));
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.error, "status 500 (want 200-399)");

    TestServer down(AF_INET, answer("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n"
                                    "{\"status\":\"DOWN\"}"));
    core::Probe probe = http_probe("127.0.0.1", down.port());
    probe.body = "\"status\":\"UP\"";
    probe.status_ranges = {{200, 200}, {204, 204}};
    result = attempt("web", probe);
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.error, "status 200 but the body does not contain \"status\":\"UP\"");

    probe.body.clear();
    TestServer redirect(AF_INET, answer("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"));
    result = attempt("web", http_probe("127.0.0.1", redirect.port()));
    EXPECT_TRUE(result.passed) << result.error;
    probe = http_probe("127.0.0.1", redirect.port());
    probe.status_ranges = {{200, 200}, {204, 204}};
    EXPECT_EQ(attempt("web", probe).error, "status 302 (want 200, 204)");
}

TEST_F(ProbeRunnerTest, HttpTimeoutHoldsPerAttempt) {
    TestServer never(
        AF_INET, [](TestServer&, int, const os::Cancel& stop) { TestServer::wait_for_stop(stop); });
    core::Probe probe = http_probe("127.0.0.1", never.port());
    probe.timeout = milliseconds(200);
    const auto start = std::chrono::steady_clock::now();
    const ProbeResult result = attempt("web", probe);
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.error, "timed out waiting for the response");
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(700));
}

TEST_F(ProbeRunnerTest, HostNetworkingAndEmptyIpMeanLoopback) {
    TestServer server(AF_INET, answer("HTTP/1.1 204 No Content\r\n\r\n"));
    auto c = running_container("web", "c1", "");
    c.host_network = true;
    docker.set_containers({c});
    EXPECT_TRUE(attempt("web", http_probe("web", server.port())).passed);
}

TEST_F(ProbeRunnerTest, ServiceNotRunningOrWithoutContainer) {
    auto c = running_container("web", "c1", "127.0.0.1");
    c.running = false;
    c.status = "exited";
    c.exit_code = 1;
    docker.set_containers({c});
    EXPECT_EQ(attempt("web", tcp_probe("web", 80)).error, "service web is not running (exited 1)");
    EXPECT_EQ(attempt("web", tcp_probe("ghost", 80)).error, "service ghost has no container");
    EXPECT_TRUE(resolver.asked.empty());
}

TEST_F(ProbeRunnerTest, TcpRefusedAndOtherNamesThroughResolver) {
    ClosedPort closed;
    TestServer open(AF_INET, [](TestServer&, int, const os::Cancel&) {});
    docker.set_containers({running_container("db", "c2", "127.0.0.1")});
    const ProbeResult refused = attempt("db", tcp_probe("db", closed.port()));
    EXPECT_FALSE(refused.passed);
    EXPECT_EQ(refused.error,
              "connect to 127.0.0.1:" + std::to_string(closed.port()) + ": Connection refused");

    resolver.names["cache.internal"] = "127.0.0.1";
    EXPECT_TRUE(attempt("db", tcp_probe("cache.internal", open.port())).passed);
    EXPECT_EQ(resolver.asked, std::vector<std::string>{"cache.internal"});
    EXPECT_EQ(attempt("db", tcp_probe("nowhere", open.port())).error,
              "cannot resolve nowhere: Domain name not found");
}

TEST_F(ProbeRunnerTest, NamesAreResolvedAtEveryAttempt) {
    TestServer open(AF_INET, [](TestServer&, int, const os::Cancel&) {});
    // The first answer points at an address where nothing listens; the service was then
    // recreated with a new address.
    docker.set_containers({running_container("db", "old", "127.0.0.2")});
    docker.on_list = [](int call, std::vector<os::ContainerState>& containers) {
        if (call == 2) {
            containers = {running_container("db", "new", "127.0.0.1")};
        }
    };
    EXPECT_FALSE(attempt("db", tcp_probe("db", open.port())).passed);
    EXPECT_TRUE(attempt("db", tcp_probe("db", open.port())).passed);
    EXPECT_EQ(docker.count("project_containers"), 2);
}

TEST_F(ProbeRunnerTest, SnapshotSavesDockerCallsAndLiteralsNeedNone) {
    TestServer open(AF_INET, [](TestServer&, int, const os::Cancel&) {});
    const std::vector<os::ContainerState> snapshot{running_container("db", "c2", "127.0.0.1")};
    EXPECT_TRUE(attempt("db", tcp_probe("db", open.port()), &snapshot).passed);
    EXPECT_TRUE(attempt("db", simple(core::ProbeKind::running), &snapshot).passed);
    EXPECT_TRUE(attempt("db", tcp_probe("127.0.0.1", open.port())).passed);
    EXPECT_TRUE(docker.calls().empty());
}

TEST_F(ProbeRunnerTest, RunningAndHealthy) {
    auto web = running_container("web", "c1");
    auto db = running_container("db", "c2");
    db.health = "starting";
    auto restarting = running_container("ghost", "c3");
    restarting.restarting = true;
    restarting.exit_code = 3;
    restarting.restart_count = 2;
    docker.set_containers({web, db, restarting});
    const auto running = simple(core::ProbeKind::running);
    const auto healthy = simple(core::ProbeKind::healthy);
    EXPECT_TRUE(attempt("web", running).passed);
    EXPECT_EQ(attempt("web", healthy).error, "container has no healthcheck");
    EXPECT_EQ(attempt("db", healthy).error, "health: starting");
    EXPECT_EQ(attempt("ghost", running).error, "container restarting (last exit 3), 2 restarts");
    EXPECT_EQ(attempt("nobody", running).error, "no container for service nobody");
    docker.update("c2", [](os::ContainerState& c) { c.health = "healthy"; });
    EXPECT_TRUE(attempt("db", healthy).passed);
    docker.update("c2", [](os::ContainerState& c) {
        c.running = false;
        c.status = "exited";
        c.exit_code = 137;
        c.oom_killed = true;
        c.health = "unhealthy";
    });
    EXPECT_EQ(attempt("db", healthy).error, "container exited 137 (OOMKilled)");
}

TEST_F(ProbeRunnerTest, PrefersTheRunningContainerOfAService) {
    auto old = running_container("web", "old");
    old.running = false;
    old.status = "exited";
    docker.set_containers({old, running_container("web", "new")});
    EXPECT_TRUE(attempt("web", simple(core::ProbeKind::running)).passed);
}

TEST_F(ProbeRunnerTest, LogRegexOverOutputSinceStart) {
    docker.set_containers({running_container("kafka", "k1")});
    docker.set_logs("k1", {"starting", "[KafkaServer id=1] started (kafka.server.KafkaServer)"});
    core::Probe probe = simple(core::ProbeKind::log);
    probe.log_regex = R"(\[KafkaServer id=\d+\] started)";
    EXPECT_TRUE(attempt("kafka", probe).passed);
    EXPECT_EQ(docker.count("logs_since_start k1"), 1);
    probe.log_regex = "^started";  // anchors apply per line
    EXPECT_EQ(attempt("kafka", probe).error, "no log line matches /^started/");
    probe.log_regex = "(unclosed";
    EXPECT_EQ(attempt("kafka", probe).error.rfind("invalid regex /(unclosed/", 0), 0u);
}

TEST_F(ProbeRunnerTest, CommandExitZeroPasses) {
    core::Probe probe = simple(core::ProbeKind::command);
    probe.argv = {"pg_isready", "-h", "db"};
    probe.timeout = milliseconds(1500);
    process.outcome.exit_code = 0;
    const auto before = clock.now();
    EXPECT_TRUE(attempt("db", probe).passed);
    ASSERT_EQ(process.specs.size(), 1u);
    EXPECT_EQ(process.specs[0].argv, probe.argv);
    // The per-attempt timeout caps the caller's (10 s) deadline.
    EXPECT_LE(process.deadlines[0], clock.now() + milliseconds(1500));
    EXPECT_GE(process.deadlines[0], before + milliseconds(1500));

    process.outcome.exit_code = 2;
    process.outcome.err = "warning: x\ndb:5432 - no response\n\n";
    EXPECT_EQ(attempt("db", probe).error, "pg_isready exited with 2: db:5432 - no response");
}

TEST_F(ProbeRunnerTest, DockerErrorsAreReported) {
    docker.set_list_error("Cannot connect to the Docker daemon");
    EXPECT_EQ(attempt("web", simple(core::ProbeKind::running)).error,
              "docker: Cannot connect to the Docker daemon");
}

// Live processes (not zombies) whose command line contains `marker`.
std::vector<pid_t> processes_with(const std::string& marker) {
    std::vector<pid_t> pids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        // read_text_file, not an istreambuf_iterator: a process that exits between the open
        // and the read fails the read (ESRCH), which libstdc++ would throw.
        const auto fields = os::read_text_file(entry.path() / "stat");
        const auto close = fields ? fields->rfind(')') : std::string::npos;
        if (close == std::string::npos || close + 2 >= fields->size() ||
            (*fields)[close + 2] == 'Z') {
            continue;
        }
        const auto cmdline = os::read_text_file(entry.path() / "cmdline");
        if (cmdline && cmdline->find(marker) != std::string::npos) {
            pids.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return pids;
}

// Polls until no process mentions `marker` or `limit` passes; the count left.
int leftovers_after(const std::string& marker, milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    auto left = processes_with(marker);
    while (!left.empty() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(milliseconds(20));
        left = processes_with(marker);
    }
    return static_cast<int>(left.size());
}

// A `command:` probe script that leaves two background children tagged with a unique marker
// (one holding the probe's stdout, one not), then `tail` (exit 0, or sleep 30: time out).
class CommandProbeChildren : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "stagehand-probe-XXXXXX");
        m_dir = ::mkdtemp(tmpl.data());
        m_marker = "stagehand-probe-marker-" + std::to_string(::getpid()) + "-" +
                   std::filesystem::path(m_dir).filename().string();
    }
    void TearDown() override {
        for (const pid_t pid : processes_with(m_marker)) {
            ::kill(pid, SIGKILL);  // what a failed test left behind
        }
        std::filesystem::remove_all(m_dir);
    }
    core::Probe probe(const std::string& tail) {
        const std::string script = m_dir + "/probe.sh";
        std::ofstream(script) << "#!/bin/sh\n"
                              << "sh -c 'sleep 300; :' " << m_marker << " >/dev/null 2>&1 &\n"
                              << "sh -c 'sleep 300; :' " << m_marker << " &\n"
                              << tail << "\n";
        std::filesystem::permissions(script, std::filesystem::perms::owner_all);
        core::Probe p = simple(core::ProbeKind::command);
        p.argv = {script};
        p.timeout = milliseconds(1500);
        return p;
    }

    std::string m_dir;
    std::string m_marker;
    os::SystemClock m_clock;
    os::Cancel m_cancel;
    FakeDocker m_docker;
    os::PosixProcessRunner m_processes{milliseconds(200)};
    FakeResolver m_resolver;
    ProbeRunner m_runner{m_clock, m_docker, m_processes, m_resolver, "proj", {"db"}};
};

TEST_F(CommandProbeChildren, EndWithAProbeThatExits) {
    const auto p = probe("exit 0");
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(
            m_runner.attempt("db", p, nullptr, m_clock.now() + milliseconds(10000), m_cancel)
                .passed);
    }
    EXPECT_EQ(leftovers_after(m_marker, milliseconds(2000)), 0)
        << "background children of the probe outlived it";
}

TEST_F(CommandProbeChildren, EndWithAProbeThatFailsOrTimesOut) {
    EXPECT_FALSE(
        m_runner
            .attempt("db", probe("exit 3"), nullptr, m_clock.now() + milliseconds(10000), m_cancel)
            .passed);
    const auto timed_out = m_runner.attempt("db", probe("sleep 30"), nullptr,
                                            m_clock.now() + milliseconds(10000), m_cancel);
    EXPECT_NE(timed_out.error.find("timed out"), std::string::npos) << timed_out.error;
    EXPECT_EQ(leftovers_after(m_marker, milliseconds(2000)), 0);
}

TEST_F(CommandProbeChildren, EndWhenTheRunIsCancelled) {
    std::thread firer([&] {
        std::this_thread::sleep_for(milliseconds(300));
        m_cancel.fire(os::CancelReason::sigterm);
    });
    const auto result = m_runner.attempt("db", probe("sleep 30"), nullptr,
                                         m_clock.now() + milliseconds(10000), m_cancel);
    firer.join();
    EXPECT_FALSE(result.passed);
    EXPECT_EQ(leftovers_after(m_marker, milliseconds(2000)), 0);
}

TEST(ProbeDescribe, Statuses) {
    EXPECT_EQ(describe_statuses({{200, 399}}), "200-399");
    EXPECT_EQ(describe_statuses({{200, 200}, {300, 399}}), "200, 300-399");
    EXPECT_EQ(describe_statuses({}), "200-399");
}

}  // namespace
}  // namespace stagehand::steps
