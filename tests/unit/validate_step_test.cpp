// The validate-service step with a FakeClock (a 10 s window runs instantly), FakeDocker and
// a scripted prober.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <map>
#include <memory>

#include <functional>
#include <mutex>
#include <thread>

#include "fake_oom_counters.hpp"
#include "steps/validate/validate.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_docker.hpp"
#include "support/no_runner.hpp"
#include "support/recording_log.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeDocker;
using testing::NoRunner;
using testing::RecordingLog;
using testing::running_container;

// Answers attempts with a script: (service, probe, seconds since start) -> result.
class ScriptedProber final : public Prober {
  public:
    using Script = std::function<ProbeResult(const std::string&, const core::Probe&, double)>;
    ScriptedProber(os::Clock& clock, Script script)
        : m_clock(clock), m_start(clock.now()), m_script(std::move(script)) {}

    ProbeResult attempt(const std::string& service, const core::Probe& probe,
                        const std::vector<os::ContainerState>* containers, os::MonoTime,
                        const os::Cancel&) override {
        const double t = std::chrono::duration<double>(m_clock.now() - m_start).count();
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            times[service].push_back(t);
            snapshots += containers != nullptr ? 1 : 0;
        }
        return m_script(service, probe, t);  // unlocked: scripts may block until cancelled
    }
    std::map<std::string, std::vector<double>> times;
    int snapshots = 0;

  private:
    os::Clock& m_clock;
    os::MonoTime m_start;
    Script m_script;
    std::mutex m_mutex;
};

ProbeResult pass() {
    return {true, ""};
}
ProbeResult fail(std::string error) {
    return {false, std::move(error)};
}

core::Probe kind(core::ProbeKind k) {
    core::Probe p;
    p.kind = k;
    return p;
}

core::Probe tcp(const std::string& host, int port) {
    core::Probe p;
    p.kind = core::ProbeKind::tcp;
    p.tcp = {host, port};
    return p;
}

core::Probe http(const std::string& service) {
    core::Probe p;
    p.kind = core::ProbeKind::http;
    p.http.url = "http://" + service + ":8080/actuator/health";
    p.http.host_port = {service, 8080};
    p.http.path_and_query = "/actuator/health";
    return p;
}

class ValidateTest : public ::testing::Test {
  protected:
    ValidateOutcome run(ScriptedProber::Script script) {
        prober = std::make_unique<ScriptedProber>(clock, std::move(script));
        Context ctx{clock, cancel, deadline, log, runner, &docker, nullptr};
        start = clock.now();
        return run_validate(ctx, plan, *prober, oom_counters);
    }
    double took() const { return std::chrono::duration<double>(clock.now() - start).count(); }
    const CheckOutcome& check(const ValidateOutcome& o, const std::string& service,
                              core::ProbeKind k) {
        for (const auto& c : o.checks) {
            if (c.service == service && c.description == core::describe(kind(k))) {
                return c;
            }
        }
        for (const auto& c : o.checks) {
            if (c.service == service) {
                return c;
            }
        }
        throw std::runtime_error("no check for " + service);
    }

    testing::FakeClock clock;
    os::Cancel cancel;
    os::MonoTime deadline = clock.now() + std::chrono::hours(1);
    RecordingLog log;
    NoRunner runner;
    FakeDocker docker;
    ValidatePlan plan{"proj", {}, seconds(300), seconds(1), seconds(10)};
    std::unique_ptr<ScriptedProber> prober;
    os::OomCounterReader* oom_counters = nullptr;
    os::MonoTime start;
};

void three_services(ValidateTest& t, FakeDocker& docker, ValidatePlan& plan) {
    (void)t;
    docker.set_containers({running_container("kafka", "k1"), running_container("web", "w1"),
                           running_container("db", "d1")});
    plan.checks = {{"kafka", tcp("kafka", 9092), false, false},
                   {"web", kind(core::ProbeKind::running), true, false},
                   {"db", kind(core::ProbeKind::healthy), true, true}};
}

TEST_F(ValidateTest, HealthyStackPassesAfterExactlyStable) {
    three_services(*this, docker, plan);
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 10.0);
    ASSERT_EQ(outcome.checks.size(), 3u);
    for (const auto& c : outcome.checks) {
        EXPECT_TRUE(c.passed) << c.service;
        EXPECT_EQ(c.elapsed, seconds(10)) << c.service;
        EXPECT_EQ(c.attempts, 11) << c.service;  // t = 0, 1, ..., 10
        EXPECT_TRUE(c.log_tail.empty());
    }
    EXPECT_EQ(prober->snapshots, 33);  // every attempt got the round's container listing
    EXPECT_TRUE(log.has_progress("kafka: tcp kafka:9092 held 4.0s of 10s"));
    EXPECT_TRUE(log.has(util::Level::info, "tcp kafka:9092 held 10s: passed after 10.0s"));
    EXPECT_EQ(docker.count("logs_tail"), 0);
    const auto summary = render_validate_summary(outcome);
    ASSERT_EQ(summary.size(), 1u);
    EXPECT_EQ(summary[0],
              "OK: validate: 3 checks held 10s (slowest: kafka tcp kafka:9092 after 10.0s)");
}

TEST_F(ValidateTest, StableWindowNeedNotBeAMultipleOfTheInterval) {
    three_services(*this, docker, plan);
    plan.interval = seconds(3);
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 10.0);
    EXPECT_EQ(prober->times["kafka"], (std::vector<double>{0, 3, 6, 9, 10}));
}

TEST_F(ValidateTest, AFlapRestartsTheWindow) {
    three_services(*this, docker, plan);
    const auto outcome = run([](const std::string& service, const core::Probe&, double t) {
        return service == "kafka" && t == 5.0
                   ? fail("connect to 172.18.0.2:9092: Connection refused")
                   : pass();
    });
    EXPECT_TRUE(outcome.passed);
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).elapsed, seconds(16));  // 6 + 10
    EXPECT_EQ(check(outcome, "web", core::ProbeKind::running).elapsed, seconds(10));
    EXPECT_DOUBLE_EQ(took(), 16.0);
    EXPECT_TRUE(log.has(util::Level::warn, "tcp kafka:9092 failed after holding 5.0s: connect to"));
}

TEST_F(ValidateTest, RestartCountIncreaseResetsTheWindow) {
    three_services(*this, docker, plan);
    docker.on_list = [this](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(4)) {
            containers[1].restart_count = 1;  // web restarted between two samples
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
    EXPECT_EQ(check(outcome, "web", core::ProbeKind::running).elapsed, seconds(14));
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).elapsed, seconds(10));
    EXPECT_TRUE(log.has(util::Level::warn,
                        "running: container restarted (running, 1 restart); "
                        "the 10s window starts over"));
}

TEST_F(ValidateTest, RecreatedContainerResetsTheWindow) {
    three_services(*this, docker, plan);
    docker.on_list = [this](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(7)) {
            containers[0].id = "k2";
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).elapsed, seconds(17));
    EXPECT_TRUE(log.has(util::Level::warn, "container was recreated"));
}

TEST_F(ValidateTest, CrashedContainerFailsAtOnceWithExitCode) {
    three_services(*this, docker, plan);
    docker.set_logs("w1", {"starting web", "\x1b[31mFATAL\x1b[0m cannot bind :8080", "bye"});
    docker.on_list = [this](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(3)) {
            containers[1].running = false;
            containers[1].status = "exited";
            containers[1].exit_code = 1;
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_FALSE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 3.0);
    const auto& web = check(outcome, "web", core::ProbeKind::running);
    EXPECT_EQ(web.failure, CheckFailure::crashed);
    EXPECT_EQ(web.error, "container exited 1");
    EXPECT_EQ(web.container.exit_code, 1);
    EXPECT_EQ(web.log_tail,
              (std::vector<std::string>{"starting web", "FATAL cannot bind :8080", "bye"}));
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).failure, CheckFailure::aborted);
    EXPECT_EQ(docker.count("logs_tail w1 10"), 1);
    EXPECT_EQ(docker.count("logs_tail k1"), 0);
    const auto summary = render_validate_summary(outcome);
    EXPECT_EQ(summary.back(), "FAILED: validate: web exited 1");
    EXPECT_NE(std::find(summary.begin(), summary.end(),
                        "  web state: exited, exit code 1, OOMKilled no, restarts 0"),
              summary.end());
    EXPECT_NE(std::find(summary.begin(), summary.end(), "  web | FATAL cannot bind :8080"),
              summary.end());
    EXPECT_TRUE(log.has(util::Level::error, "running: container exited 1"));
}

TEST_F(ValidateTest, OomKilledFailsAtOnce) {
    three_services(*this, docker, plan);
    plan.checks.push_back({"kafka", kind(core::ProbeKind::running), true, false});
    testing::FakeOomCounters kernel;
    oom_counters = &kernel;
    docker.on_list = [&](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(6) && containers[0].running) {
            // A system-wide kill on a host without limits: Docker leaves OOMKilled false.
            containers[0].running = false;
            containers[0].status = "exited";
            containers[0].exit_code = 137;
            containers[0].pid = 0;
            kernel.oom_kill();
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_FALSE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 6.0);
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).failure, CheckFailure::oom_killed);
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).oom.kind, core::OomKind::system_wide);
    EXPECT_GE(kernel.reads, 1);  // read while it ran, from the first round on
    // Both kafka checks failed, but the verdict names kafka once.
    EXPECT_EQ(validate_verdict(outcome),
              "FAILED: validate: kafka was killed by the kernel's OOM killer (system-wide: the "
              "host ran out of memory)");
}

TEST_F(ValidateTest, PlainSigkillIsACrashNotAnOomKill) {
    three_services(*this, docker, plan);
    testing::FakeOomCounters kernel;
    oom_counters = &kernel;
    docker.on_list = [&](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(3)) {
            containers[0].running = false;  // docker kill -s KILL: the kernel counted nothing
            containers[0].status = "exited";
            containers[0].exit_code = 137;
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::tcp).failure, CheckFailure::crashed);
    EXPECT_EQ(validate_verdict(outcome),
              "FAILED: validate: kafka was killed by SIGKILL (exit code 137, not by the OOM "
              "killer)");
}

TEST_F(ValidateTest, ContainerDeadBeforeValidationBeganIsNotJudgedOnLaterCounts) {
    three_services(*this, docker, plan);
    testing::FakeOomCounters kernel;
    oom_counters = &kernel;
    // Killed between after-install and validate-service: no counters from before its death.
    docker.update("k1", [](os::ContainerState& c) {
        c.running = false;
        c.status = "exited";
        c.exit_code = 137;
        c.pid = 0;
    });
    const auto outcome = run([](auto&&...) { return pass(); });
    const auto& kafka = check(outcome, "kafka", core::ProbeKind::tcp);
    EXPECT_EQ(kafka.failure, CheckFailure::crashed);
    EXPECT_EQ(kafka.oom.kind, core::OomKind::unknown);
    EXPECT_EQ(kernel.reads, 2);  // web and db, running; never kafka
}

TEST_F(ValidateTest, V1BystanderFlaggedOomKilledButRunningStillPasses) {
    three_services(*this, docker, plan);
    testing::FakeOomCounters kernel;
    oom_counters = &kernel;
    // Docker 20.10 on cgroup v1 sets OOMKilled on every container under a limited parent
    // that hit its limit; this one kept running.
    docker.update("k1", [](os::ContainerState& c) { c.oom_killed = true; });
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
}

TEST_F(ValidateTest, RestartingContainerFailsAtOnce) {
    three_services(*this, docker, plan);
    docker.update("d1", [](os::ContainerState& c) {
        c.restarting = true;
        c.exit_code = 2;
        c.restart_count = 4;
    });
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_FALSE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 0.0);
    EXPECT_EQ(validate_verdict(outcome),
              "FAILED: validate: db restarting (last exit 2), 4 restarts");
}

TEST_F(ValidateTest, TimeoutFailsWithLastErrorAndBacksOff) {
    docker.set_containers({running_container("gateway", "g1")});
    plan.timeout = seconds(30);
    plan.checks = {{"gateway", http("gateway"), false, false}};
    const auto outcome = run([](auto&&...) { return fail("status 500 (want 200-399)"); });
    EXPECT_FALSE(outcome.passed);
    EXPECT_TRUE(outcome.timed_out);
    EXPECT_DOUBLE_EQ(took(), 30.0);
    EXPECT_EQ(prober->times["gateway"], (std::vector<double>{0, 1, 3, 7, 12, 17, 22, 27}));
    const auto& c = outcome.checks.at(0);
    EXPECT_EQ(c.failure, CheckFailure::timed_out);
    EXPECT_EQ(c.error, "status 500 (want 200-399)");
    EXPECT_EQ(c.attempts, 8);
    EXPECT_EQ(validate_verdict(outcome),
              "FAILED: validate: gateway http http://gateway:8080/actuator/health: "
              "status 500 (want 200-399)");
    EXPECT_TRUE(
        log.has_progress("gateway: http http://gateway:8080/actuator/health: status 500 "
                         "(want 200-399) (attempt 3, next in 4.0s)"));
}

TEST_F(ValidateTest, TimeoutWhileHoldingSaysHowLong) {
    docker.set_containers({running_container("gateway", "g1")});
    plan.timeout = seconds(12);
    plan.checks = {{"gateway", http("gateway"), false, false}};
    const auto outcome = run([](const std::string&, const core::Probe&, double t) {
        return t < 5 ? fail("status 503 (want 200-399)") : pass();
    });
    EXPECT_FALSE(outcome.passed);
    const auto& c = outcome.checks.at(0);
    EXPECT_EQ(c.error, "held 5.0s of 10s");  // passing since t = 7 (backoff 1, 2, 4)
    EXPECT_EQ(c.held, seconds(5));
}

TEST_F(ValidateTest, RunDeadlineCutsTheTimeoutShort) {
    three_services(*this, docker, plan);
    deadline = clock.now() + seconds(20);
    const auto outcome = run([](const std::string& service, const core::Probe&, double) {
        return service == "db" ? fail("health: starting") : pass();
    });
    EXPECT_FALSE(outcome.passed);
    EXPECT_TRUE(outcome.deadline_passed);
    EXPECT_FALSE(outcome.timed_out);
    EXPECT_DOUBLE_EQ(took(), 20.0);
    EXPECT_EQ(check(outcome, "db", core::ProbeKind::healthy).failure, CheckFailure::deadline);
    EXPECT_EQ(validate_verdict(outcome),
              "FAILED: validate: deadline passed: db healthy: health: starting");
}

TEST_F(ValidateTest, CancelStopsWithoutDiagnosis) {
    three_services(*this, docker, plan);
    const auto outcome = run([this](const std::string& service, const core::Probe&, double t) {
        if (service == "db" && t >= 4) {
            cancel.fire(os::CancelReason::sigterm);
        }
        return pass();
    });
    EXPECT_FALSE(outcome.passed);
    EXPECT_TRUE(outcome.cancelled);
    EXPECT_DOUBLE_EQ(took(), 4.0);
    for (const auto& c : outcome.checks) {
        EXPECT_EQ(c.failure, CheckFailure::cancelled) << c.service;
    }
    EXPECT_EQ(docker.count("logs_tail"), 0);
    EXPECT_EQ(validate_verdict(outcome).rfind("INTERRUPTED: validate: ", 0), 0u);
}

// Real time: a probe that blocks (like an http probe against a hung server) must not keep
// validate from returning once Cancel fires.
TEST(ValidateRealTime, CancellationReturnsPromptly) {
    os::SystemClock clock;
    os::Cancel cancel;
    RecordingLog log;
    NoRunner runner;
    FakeDocker docker;
    docker.set_containers({running_container("web", "w1"), running_container("db", "d1")});
    ValidatePlan plan{"proj",
                      {{"web", http("web"), false, false}, {"db", tcp("db", 5432), false, false}},
                      seconds(300),
                      seconds(1),
                      seconds(10)};
    std::atomic<int> started{0};
    ScriptedProber prober(clock, [&](const std::string&, const core::Probe&, double) {
        started.fetch_add(1);
        pollfd pfd{cancel.fd(), POLLIN, 0};
        ::poll(&pfd, 1, 60'000);  // blocks until cancelled
        return fail("cancelled waiting for the response");
    });
    Context ctx{clock, cancel, clock.now() + std::chrono::hours(1), log, runner, &docker, nullptr};
    std::thread canceller([&] {
        while (started.load() < 2) {
            std::this_thread::sleep_for(milliseconds(1));
        }
        cancel.fire(os::CancelReason::sigint);
    });
    const auto t0 = std::chrono::steady_clock::now();
    const auto outcome = run_validate(ctx, plan, prober);
    canceller.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));
    EXPECT_TRUE(outcome.cancelled);
    EXPECT_FALSE(outcome.passed);
}

TEST_F(ValidateTest, DockerListingFailureStillProbes) {
    three_services(*this, docker, plan);
    docker.set_list_error("Cannot connect to the Docker daemon");
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_TRUE(outcome.passed);
    EXPECT_EQ(prober->snapshots, 0);
}

TEST(ValidatePlan, DefaultChecksAndConfiguredOnes) {
    core::ValidateConfig config;
    config.stable = seconds(5);
    const std::vector<ValidatedService> services{{"kafka", false}, {"web", true}};
    const ValidatePlan defaults = plan_validate(config, "proj", services);
    ASSERT_EQ(defaults.checks.size(), 3u);
    EXPECT_EQ(defaults.project, "proj");
    EXPECT_EQ(defaults.stable, seconds(5));
    EXPECT_EQ(defaults.checks[0].service, "kafka");
    EXPECT_EQ(defaults.checks[0].probe.kind, core::ProbeKind::running);
    EXPECT_TRUE(defaults.checks[0].default_check);
    EXPECT_EQ(defaults.checks[1].probe.kind, core::ProbeKind::running);
    EXPECT_EQ(defaults.checks[2].service, "web");
    EXPECT_EQ(defaults.checks[2].probe.kind, core::ProbeKind::healthy);

    config.checks = {{"web", http("web"), {}}, {"other", tcp("other", 1), {}}};
    const ValidatePlan configured = plan_validate(config, "proj", services);
    // "other" is not among the services; the baseline is added to the configured check.
    ASSERT_EQ(configured.checks.size(), 4u);
    EXPECT_EQ(configured.checks[0].probe.kind, core::ProbeKind::http);
    EXPECT_FALSE(configured.checks[0].default_check);
    EXPECT_TRUE(configured.checks[0].has_healthcheck);
    for (std::size_t i = 1; i < 4; ++i) {
        EXPECT_EQ(configured.checks[i].service, defaults.checks[i - 1].service);
        EXPECT_EQ(configured.checks[i].probe.kind, defaults.checks[i - 1].probe.kind);
        EXPECT_TRUE(configured.checks[i].default_check);
    }
}

TEST(ValidatePlan, ConfiguredRunningOrHealthyCheckIsNotDuplicatedByTheBaseline) {
    core::ValidateConfig config;
    config.checks = {{"web", kind(core::ProbeKind::healthy), {}},
                     {"kafka", kind(core::ProbeKind::running), {}}};
    const ValidatePlan plan =
        plan_validate(config, "proj", {{"kafka", false}, {"web", true}, {"db", false}});
    std::vector<std::string> checks;
    for (const auto& check : plan.checks) {
        checks.push_back(check.service + " " + core::describe(check.probe) +
                         (check.default_check ? " (baseline)" : ""));
    }
    EXPECT_EQ(checks,
              (std::vector<std::string>{"web healthy", "kafka running", "web running (baseline)",
                                        "db running (baseline)"}));
}

// SPEC section 7: explicit checks are added to the baseline, so a dead service that no
// check names still fails the deployment (issue 13: it passed in 3 s).
TEST_F(ValidateTest, ServiceNamedInNoCheckThatDiesFailsValidate) {
    core::ValidateConfig config;
    config.checks = {{"web", http("web"), {}}};
    config.stable = seconds(10);
    plan = plan_validate(config, "proj", {{"kafka", false}, {"web", false}});
    docker.set_containers({running_container("kafka", "k1"), running_container("web", "w1")});
    docker.set_logs("k1", {"kafka is up", "Killed"});
    docker.on_list = [this](int, std::vector<os::ContainerState>& containers) {
        if (clock.now() - start >= seconds(2)) {
            containers[0].running = false;
            containers[0].status = "exited";
            containers[0].exit_code = 137;
        }
    };
    const auto outcome = run([](auto&&...) { return pass(); });
    EXPECT_FALSE(outcome.passed);
    EXPECT_DOUBLE_EQ(took(), 2.0);
    EXPECT_EQ(check(outcome, "kafka", core::ProbeKind::running).failure, CheckFailure::crashed);
    const auto summary = render_validate_summary(outcome);
    // Exit 137 with no OOM counters from before (this fake has none): named as a SIGKILL
    // without claiming the OOM killer either way (issue 17).
    EXPECT_EQ(
        summary.back().rfind("FAILED: validate: kafka was killed by SIGKILL (exit code 137", 0), 0u)
        << summary.back();
    EXPECT_NE(std::find(summary.begin(), summary.end(), "  kafka | Killed"), summary.end());
}

}  // namespace
}  // namespace stagehand::steps
