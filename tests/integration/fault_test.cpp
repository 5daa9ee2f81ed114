// Deployments that must fail, and fail well: a service that crashes while it starts, one that
// is OOM-killed, an image missing from the registry, a registry that does not answer. Each
// fails AfterInstall with exit 1 (agent error 4), a verdict naming the cause as the last line
// the agent shows, and no later hook.

#include <chrono>
#include <regex>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

const std::vector<std::string> k_small{"--peak-mib", "24",  "--steady-mib", "16",
                                       "--ramp-s",   "0.3", "--cpu-s",      "0.1"};

class FaultTest : public PerComposeTest {
  protected:
    // rabbitmq (healthy), then `faulty`, then gesture-service, which must never be started.
    StackSpec stack_with(ServiceSpec faulty) {
        auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), free_port(), k_small);
        auto gesture =
            service("gesture-service", standin_image("gesture-service"), free_port(), k_small);
        gesture.depends_on = {faulty.name};
        return stack({rabbitmq, std::move(faulty), gesture});
    }

    // The deployment failed in AfterInstall with exit 1; returns after-install's hook object.
    nlohmann::json expect_after_install_failed(const SimResult& run) {
        const auto& summary = run.summary();
        EXPECT_EQ(run.run.status, 1) << run.dump();
        EXPECT_EQ(summary.value("status", ""), "Failed") << run.dump();
        EXPECT_EQ(summary.value("failed_event", nlohmann::json()), "AfterInstall") << run.dump();
        EXPECT_EQ(summary.value("error_code", -1), 4) << run.dump();
        const auto hook = run.hook("AfterInstall");
        expect_clean_hook(hook);
        EXPECT_EQ(hook.value("exit_code", -1), 1) << hook.value("tail", "");
        EXPECT_EQ(hook.value("agent_error_code", -1), 4);
        EXPECT_TRUE(run.hook("ValidateService").empty()) << "ValidateService ran after a failure";
        EXPECT_EQ(verdict_of(hook).rfind("FAILED", 0), 0u) << hook.value("tail", "");
        const auto written = report(summary.value("deployment_id", ""));
        EXPECT_EQ(written["hooks"]["after-install"].value("outcome", ""), "failed")
            << written.dump(1);
        return hook;
    }

    bool has_container(const std::string& service) {
        return !m_docker.service_container(m_project, service).id.empty();
    }
};

double now_epoch_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST_P(FaultTest, ServiceCrashingDuringStartFailsTheHookAtOnceNamingIt) {
    auto crashing = service("zookeeper", standin_image("zookeeper"), free_port(),
                            {"--mode", "crash", "--crash-after-s", "1"});
    const auto run = deploy(bundle(stack_with(crashing), "rev"));
    const double ended = now_epoch_seconds();
    const auto hook = expect_after_install_failed(run);
    const std::string tail = hook.value("tail", "");
    EXPECT_NE(verdict_of(hook).find("zookeeper"), std::string::npos) << tail;
    EXPECT_NE(tail.find("exit code 3"), std::string::npos) << tail;
    EXPECT_NE(tail.find("zookeeper crashed after"), std::string::npos)
        << "the service's last log lines are missing:\n"
        << tail;
    const auto crashed = m_docker.service_container(m_project, "zookeeper");
    EXPECT_EQ(crashed.exit_code, 3);
    const double finished = epoch_seconds(crashed.finished_at);
    ASSERT_GT(finished, 0) << crashed.finished_at;
    EXPECT_LT(ended - finished, 3.0)
        << "the hook noticed the crash " << ended - finished << " s after it";
    RecordProperty("seconds_from_crash_to_verdict", std::to_string(ended - finished));
    EXPECT_FALSE(has_container("gesture-service")) << "started a service after the crash";
}

TEST_P(FaultTest, OomKilledServiceFailsTheHookNamingTheOomKill) {
    auto hungry = service("zookeeper", standin_image("zookeeper"), free_port(),
                          {"--peak-mib", "128", "--steady-mib", "100", "--ramp-s", "8"});
    hungry.compose_extra = {"mem_limit: 48m", "memswap_limit: 48m"};
    const auto run = deploy(bundle(stack_with(hungry), "rev"));
    const auto hook = expect_after_install_failed(run);
    const std::string tail = hook.value("tail", "");
    EXPECT_NE(verdict_of(hook).find("zookeeper"), std::string::npos) << tail;
    // Killed inside its own mem_limit (at ~3 s of its 8 s ramp: after-install has read its
    // cgroup by then): the kernel counted the kill, the limit is its own.
    EXPECT_EQ(verdict_of(hook),
              "FAILED: zookeeper was killed by the kernel's OOM killer (its own limit of 48 MiB)")
        << tail;
    const auto services = report(
        run.summary().value("deployment_id", ""))["hooks"]["after-install"]["start"]["services"];
    for (const auto& record : services) {
        if (record.value("name", "") == "zookeeper") {
            EXPECT_EQ(record.value("oom_kill", ""), "own_limit") << record.dump();
        }
    }
    // The peak reported for it cannot exceed its 48 MiB limit (a dead container's process
    // must not be measured in whatever cgroup it is left in).
    const std::regex peak("zookeeper: [^\n]*peak ([0-9]+) MiB");
    for (std::sregex_iterator it(tail.begin(), tail.end(), peak), end; it != end; ++it) {
        EXPECT_LE(std::stol((*it)[1]), 64) << "implausible peak for a 48 MiB container:\n" << tail;
    }
    const auto killed = m_docker.service_container(m_project, "zookeeper");
    EXPECT_TRUE(killed.oom_killed);
    EXPECT_EQ(killed.exit_code, 137);
    EXPECT_FALSE(has_container("gesture-service"));
}

TEST_P(FaultTest, MissingImageFailsBeforeAnyServiceIsTouched) {
    auto missing = service("zookeeper", standin_image("no-such-service"), free_port(), k_small);
    const auto run = deploy(bundle(stack_with(missing), "rev"));
    const auto hook = expect_after_install_failed(run);
    EXPECT_NE(verdict_of(hook).find("no-such-service"), std::string::npos)
        << hook.value("tail", "");
    EXPECT_TRUE(m_docker.project_containers(m_project).empty())
        << "a container was created although an image is missing";
}

TEST_P(FaultTest, UnreachableRegistryFailsBeforeAnyServiceIsTouched) {
    // Nothing listens on 5999: the pull fails with "connection refused" at once.
    auto spec = stack_with(service("zookeeper", standin_image("zookeeper", "1", "127.0.0.1:5999"),
                                   free_port(), k_small));
    for (auto& service : spec.services) {
        service.image = standin_image(service.name, "1", "127.0.0.1:5999");
    }
    const auto started = std::chrono::steady_clock::now();
    const auto run = deploy(bundle(spec, "rev"));
    const auto hook = expect_after_install_failed(run);
    EXPECT_NE(verdict_of(hook).find("127.0.0.1:5999"), std::string::npos) << hook.value("tail", "");
    EXPECT_TRUE(m_docker.project_containers(m_project).empty());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
}

INSTANTIATE_TEST_SUITE_P(Compose, FaultTest, ::testing::ValuesIn(compose_generations()),
                         generation_name);

}  // namespace
}  // namespace stagehand::integration
