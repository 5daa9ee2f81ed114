// ProbeRunner against FakeDocker, a scripted resolver and process runner, and real loopback
// servers for http/tcp (real time: the network deadlines are on steady_clock).
#include "steps/probe/probe_runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>

#include "fake_docker.hpp"
#include "net_test_server.hpp"

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

TEST(ProbeDescribe, Statuses) {
    EXPECT_EQ(describe_statuses({{200, 399}}), "200-399");
    EXPECT_EQ(describe_statuses({{200, 200}, {300, 399}}), "200, 300-399");
    EXPECT_EQ(describe_statuses({}), "200-399");
}

}  // namespace
}  // namespace stagehand::steps
