// Whole deployments through the simulated agent, under both compose generations: a first
// deployment, a re-deployment of the same revision, a revision that changes one image tag, and
// a rollback (the agent's rollback is a new deployment of the last good revision).

#include <map>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

class DeployTest : public PerComposeTest {
  protected:
    void SetUp() override {
        PerComposeTest::SetUp();
        for (int& port : m_ports) {
            port = free_port();
        }
    }

    // rabbitmq and zookeeper, then gesture-service after rabbitmq: small stand-ins, each with
    // its own readiness probe kind (tcp, tcp, http).
    StackSpec revision(const std::string& zookeeper_tag) {
        const std::vector<std::string> small{"--peak-mib", "24",  "--steady-mib", "16",
                                             "--ramp-s",   "0.5", "--cpu-s",      "0.2"};
        auto rabbitmq = service("rabbitmq", standin_image("rabbitmq"), m_ports[0], small);
        auto zookeeper =
            service("zookeeper", standin_image("zookeeper", zookeeper_tag), m_ports[1], small);
        auto gesture =
            service("gesture-service", standin_image("gesture-service"), m_ports[2], small);
        gesture.depends_on = {"rabbitmq"};
        gesture.ready = "{ http: \"http://gesture-service:" + std::to_string(m_ports[2]) + "/\" }";
        return stack({rabbitmq, zookeeper, gesture});
    }

    // service -> container, every container of the project running.
    std::map<std::string, Container> containers() {
        std::map<std::string, Container> by_service;
        for (auto& container : m_docker.project_containers(m_project)) {
            EXPECT_TRUE(container.running) << container.service << " is " << container.status;
            by_service[container.service] = container;
        }
        EXPECT_EQ(by_service.size(), 3u);
        return by_service;
    }

    int m_ports[3] = {0, 0, 0};
};

// The start-sequence part of after-install's report: a JSON object with "services" (SPEC
// section 8: per service image, start, ready, peak memory, waits; plus memory samples).
nlohmann::json start_part(const nlohmann::json& report) {
    const auto& after = report["hooks"]["after-install"];
    for (const auto& [key, value] : after.items()) {
        if (value.is_object() && value.contains("services")) {
            return value;
        }
    }
    return nullptr;
}

TEST_P(DeployTest, FirstDeploymentRunsTheThreeHooksAndStartsEveryService) {
    const auto run = deploy(bundle(revision("1"), "rev1"));
    const std::string id = expect_deployed(run);
    const auto started = containers();
    for (const auto& [service, container] : started) {
        EXPECT_NE(container.image.find("/randhand/" + service + ":1"), std::string::npos)
            << container.image;
    }
    // after-install's report holds each service's timeline and what it learned.
    const auto start = start_part(report(id));
    ASSERT_TRUE(start.is_object()) << "after-install report without the start sequence:\n"
                                   << report(id)["hooks"]["after-install"].dump(1);
    EXPECT_EQ(start["services"].size(), 3u);
    for (const auto& service : start["services"]) {
        EXPECT_GT(service.value("ready_ms", 0), 0) << service.dump();
        EXPECT_GT(service.value("peak_bytes", 0), 0) << service.dump();
    }
    EXPECT_FALSE(start["memory_samples"].empty());
    // Which memory figures the gate read, and why, is in the log.
    EXPECT_NE(log_file(id).find("memory source: "), std::string::npos);
    const auto profiles =
        nlohmann::json::parse(read_text(m_dir / "state" / "profiles.json"), nullptr, false);
    ASSERT_TRUE(profiles.is_object());
    EXPECT_EQ(profiles[m_project].size(), 3u) << profiles.dump();
}

TEST_P(DeployTest, RedeployingTheSameRevisionLeavesTheStackUntouched) {
    const fs::path rev1 = bundle(revision("1"), "rev1");
    expect_deployed(deploy(rev1));
    const auto before = containers();
    expect_deployed(deploy(rev1));
    const auto after = containers();
    for (const auto& [service, container] : before) {
        EXPECT_EQ(after.at(service).id, container.id) << service << " was recreated";
        EXPECT_EQ(after.at(service).started_at, container.started_at) << service << " restarted";
    }
}

TEST_P(DeployTest, ChangingOneImageTagRecreatesOnlyThatService) {
    expect_deployed(deploy(bundle(revision("1"), "rev1")));
    const auto before = containers();
    expect_deployed(deploy(bundle(revision("2"), "rev2")));
    const auto after = containers();
    EXPECT_NE(after.at("zookeeper").id, before.at("zookeeper").id);
    EXPECT_NE(after.at("zookeeper").image.find("zookeeper:2"), std::string::npos)
        << after.at("zookeeper").image;
    for (const char* service : {"rabbitmq", "gesture-service"}) {
        EXPECT_EQ(after.at(service).id, before.at(service).id) << service << " was recreated";
        EXPECT_EQ(after.at(service).started_at, before.at(service).started_at) << service;
    }
}

TEST_P(DeployTest, RollbackRedeploysThePreviousRevision) {
    const fs::path rev1 = bundle(revision("1"), "rev1");
    expect_deployed(deploy(rev1));
    const auto first = containers();
    expect_deployed(deploy(bundle(revision("2"), "rev2")));
    const auto second = containers();
    // CodeDeploy rolls back by deploying the last good revision again, every hook included.
    const auto rollback = deploy(rev1);
    expect_deployed(rollback);
    EXPECT_NE(rollback.summary().value("previous_deployment_root", nlohmann::json()), nullptr);
    const auto rolled = containers();
    EXPECT_NE(rolled.at("zookeeper").image.find("zookeeper:1"), std::string::npos)
        << rolled.at("zookeeper").image;
    EXPECT_NE(rolled.at("zookeeper").id, second.at("zookeeper").id);
    for (const char* service : {"rabbitmq", "gesture-service"}) {
        EXPECT_EQ(rolled.at(service).id, first.at(service).id) << service << " was recreated";
    }
}

INSTANTIATE_TEST_SUITE_P(Compose, DeployTest, ::testing::ValuesIn(compose_generations()),
                         generation_name);

}  // namespace
}  // namespace stagehand::integration
