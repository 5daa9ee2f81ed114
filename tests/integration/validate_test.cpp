// validate-service through the simulated agent, under both compose generations (SPEC section
// 7): a healthy stack with explicit checks passes; a service that dies after after-install
// succeeded (also when no explicit check names it: the baseline always runs), one that keeps
// restarting, and one answering HTTP 500 each fail ValidateService with exit 1 and a tail (the
// agent's ~2 KB) that names the cause, verdict last; a container killed by `docker kill -s
// KILL` during validation is named a plain SIGKILL, not an OOM kill.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

const std::vector<std::string> k_small{"--peak-mib", "24",  "--steady-mib", "16",
                                       "--ramp-s",   "0.3", "--cpu-s",      "0.1"};

std::vector<std::string> with_small(std::vector<std::string> args) {
    args.insert(args.begin(), k_small.begin(), k_small.end());
    return args;
}

class ValidateTest : public PerComposeTest {
  protected:
    // rabbitmq (healthy), then `subject`, started last.
    StackSpec stack_with(ServiceSpec subject) {
        auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
        return stack({rabbitmq, std::move(subject)});
    }

    // zookeeper, ready as soon as it runs (after-install passes), exits with code 3 six
    // seconds after its start: inside validate's stability window, made 15 s here.
    StackSpec stack_with_dying_zookeeper() {
        auto dying = service("zookeeper", standin_image("zookeeper"), free_port(),
                             with_small({"--mode", "crash", "--crash-after-s", "6"}));
        dying.ready = "{ running: true }";
        auto spec = stack_with(dying);
        spec.validate_stable = "15s";
        return spec;
    }

    // after-install succeeded, ValidateService failed with exit 1 (agent error 4) and a clean
    // tail of at most 2 KB ending with the verdict; returns ValidateService's hook object.
    nlohmann::json expect_validate_failed(const SimResult& run) {
        const auto& summary = run.summary();
        EXPECT_EQ(run.run.status, 1) << run.dump();
        EXPECT_EQ(summary.value("failed_event", nlohmann::json()), "ValidateService") << run.dump();
        EXPECT_EQ(run.hook("AfterInstall").value("exit_code", -1), 0)
            << "the service was not ready during after-install:\n"
            << run.hook("AfterInstall").value("tail", "");
        const auto hook = run.hook("ValidateService");
        expect_clean_hook(hook);
        const std::string tail = hook.value("tail", "");
        EXPECT_EQ(hook.value("exit_code", -1), 1) << tail;
        EXPECT_EQ(hook.value("agent_error_code", -1), 4);
        EXPECT_LE(tail.size(), 2048u) << tail;
        EXPECT_EQ(verdict_of(hook).rfind("FAILED: validate: ", 0), 0u)
            << "the verdict is not the last line:\n"
            << tail;
        const auto written = report(summary.value("deployment_id", ""));
        EXPECT_EQ(written["hooks"]["validate-service"].value("outcome", ""), "failed")
            << written.dump(1);
        return hook;
    }
};

TEST_P(ValidateTest, HealthyStackPassesItsExplicitChecks) {
    const int port = free_port();
    auto gesture = service("gesture-service", standin_image("gesture-service"), port, k_small);
    auto spec = stack_with(gesture);
    const std::string url = "http://gesture-service:" + std::to_string(port) + "/health";
    spec.validate_checks = {
        "{ service: gesture-service, http: \"" + url +
            "\", status: [200], body: '\"status\":\"UP\"' }",
        "{ service: rabbitmq, tcp: \"rabbitmq:" + std::to_string(spec.services[0].port) + "\" }",
        "{ service: gesture-service, running: true }"};
    const auto run = deploy(bundle(spec, "rev"));
    expect_deployed(run);
    // The three configured checks, then the baseline (SPEC section 7) adds rabbitmq's
    // `running` (gesture-service's is configured already).
    const std::string verdict = verdict_of(run.hook("ValidateService"));
    EXPECT_EQ(verdict.rfind("OK: validate: 4 checks held 1s", 0), 0u) << verdict;
    const auto checks = report(run.summary().value(
        "deployment_id", ""))["hooks"]["validate-service"]["validate"]["checks"];
    ASSERT_EQ(checks.size(), 4u) << checks.dump(1);
    EXPECT_NE(checks[0].value("check", "").find(url), std::string::npos) << checks.dump(1);
    EXPECT_EQ(checks[3].value("service", ""), "rabbitmq") << checks.dump(1);
    EXPECT_EQ(checks[3].value("check", ""), "running") << checks.dump(1);
    for (const auto& check : checks) {
        EXPECT_TRUE(check.value("passed", false)) << check.dump();
    }
}

TEST_P(ValidateTest, ServiceDyingAfterAfterInstallFailsNamingItsExitCodeAndLogs) {
    auto spec = stack_with_dying_zookeeper();
    const auto hook = expect_validate_failed(deploy(bundle(spec, "rev")));
    const std::string tail = hook.value("tail", "");
    EXPECT_NE(verdict_of(hook).find("zookeeper exited 3"), std::string::npos) << tail;
    EXPECT_NE(tail.find("zookeeper state: exited, exit code 3"), std::string::npos) << tail;
    // Its last log lines, from both of its streams, above the verdict.
    const auto crashed_line = tail.find("zookeeper | zookeeper crashed after");
    EXPECT_NE(crashed_line, std::string::npos) << "the service's log lines are missing:\n" << tail;
    EXPECT_NE(tail.find("zookeeper | zookeeper starting"), std::string::npos) << tail;
    EXPECT_LT(crashed_line, tail.rfind("FAILED: validate")) << tail;
    EXPECT_EQ(m_docker.service_container(m_project, "zookeeper").exit_code, 3);
}

// True once a deployment log in `log_dir` shows validate-service at work.
bool validating(const std::filesystem::path& log_dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
        std::ifstream in(entry.path());
        const std::string text{std::istreambuf_iterator<char>(in), {}};
        if (text.find("validating ") != std::string::npos) {
            return true;
        }
    }
    return false;
}

TEST_P(ValidateTest, ContainerKilledBySigkillIsNamedSoNotAnOomKill) {
    auto victim = service("zookeeper", standin_image("zookeeper"), free_port(), k_small);
    victim.ready = "{ running: true }";
    auto spec = stack_with(victim);
    spec.validate_stable = "20s";
    // Once validate-service runs, someone kills the container: exit 137, and the kernel's
    // OOM killer had no part in it.
    std::atomic<bool> done{false};
    std::string killed;
    std::thread killer([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (!done && std::chrono::steady_clock::now() < until) {
            if (validating(m_dir / "log")) {
                std::this_thread::sleep_for(std::chrono::seconds(2));
                const auto id = m_docker.service_container(m_project, "zookeeper").id;
                killed = run_command({"docker", "kill", "-s", "KILL", id}).out;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });
    const auto run = deploy(bundle(spec, "rev"));
    done = true;
    killer.join();
    ASSERT_FALSE(killed.empty()) << "the container was never killed:\n" << run.dump();
    const auto hook = expect_validate_failed(run);
    const std::string tail = hook.value("tail", "");
    EXPECT_EQ(verdict_of(hook),
              "FAILED: validate: zookeeper was killed by SIGKILL (exit code 137, not by the OOM "
              "killer)")
        << tail;
    EXPECT_NE(tail.find("zookeeper state: exited, exit code 137, OOMKilled no"), std::string::npos)
        << tail;
    const auto checks = report(run.summary().value(
        "deployment_id", ""))["hooks"]["validate-service"]["validate"]["checks"];
    for (const auto& check : checks) {
        if (check.value("service", "") == "zookeeper") {
            EXPECT_EQ(check.value("oom_kill", ""), "not_oom") << check.dump();
        }
    }
}

TEST_P(ValidateTest, ServiceNamedInNoCheckThatDiesFailsValidate) {
    // Explicit checks name only rabbitmq. The baseline (SPEC section 7) still covers the dying
    // zookeeper (issue 13: validate passed in 3 s).
    auto spec = stack_with_dying_zookeeper();
    spec.validate_checks = {
        "{ service: rabbitmq, tcp: \"rabbitmq:" + std::to_string(spec.services[0].port) + "\" }"};
    const auto hook = expect_validate_failed(deploy(bundle(spec, "rev")));
    const std::string tail = hook.value("tail", "");
    EXPECT_NE(verdict_of(hook).find("zookeeper exited 3"), std::string::npos) << tail;
    EXPECT_NE(tail.find("zookeeper state: exited, exit code 3"), std::string::npos) << tail;
}

TEST_P(ValidateTest, FlappingServiceFailsNamingTheRestart) {
    // Ready, exit 4 two seconds later, restarted by Docker, again and again: its flap marker
    // is on a tmpfs, which a restart empties.
    auto flapping =
        service("gesture-service", standin_image("gesture-service"), free_port(),
                with_small({"--mode", "flap", "--flap-after-s", "3", "--flap-marker", "/flap/m"}));
    flapping.restart = "on-failure";
    flapping.compose_extra = {"tmpfs: [/flap]"};
    auto spec = stack_with(flapping);
    spec.validate_stable = "8s";
    spec.validate_timeout = "20s";
    const auto hook = expect_validate_failed(deploy(bundle(spec, "rev")));
    const std::string tail = hook.value("tail", "");
    EXPECT_NE(verdict_of(hook).find("gesture-service"), std::string::npos) << tail;
    EXPECT_TRUE(std::regex_search(tail, std::regex("restart(ing|s [1-9]|ed)")))
        << "the restart is not named:\n"
        << tail;
    EXPECT_NE(tail.find("gesture-service | gesture-service flapping: exit 4"), std::string::npos)
        << tail;
    EXPECT_GE(m_docker.service_container(m_project, "gesture-service").restarts, 1);
}

TEST_P(ValidateTest, ServiceAnsweringHttp500FailsNamingTheStatus) {
    const int port = free_port();
    auto failing = service("gesture-service", standin_image("gesture-service"), port,
                           with_small({"--mode", "http500"}));
    auto spec = stack_with(failing);  // ready: its port accepts (tcp)
    spec.validate_timeout = "4s";
    spec.validate_checks = {"{ service: gesture-service, http: \"http://gesture-service:" +
                            std::to_string(port) + "/health\", status: [200] }"};
    const auto hook = expect_validate_failed(deploy(bundle(spec, "rev")));
    const std::string verdict = verdict_of(hook);
    EXPECT_NE(verdict.find("gesture-service http"), std::string::npos) << verdict;
    EXPECT_NE(verdict.find("500"), std::string::npos) << hook.value("tail", "");
    // The container itself is fine: the check failed on the answer, not on a crash.
    const auto container = m_docker.service_container(m_project, "gesture-service");
    EXPECT_TRUE(container.running) << container.status;
}

INSTANTIATE_TEST_SUITE_P(Compose, ValidateTest, ::testing::ValuesIn(compose_generations()),
                         generation_name);

}  // namespace
}  // namespace stagehand::integration
