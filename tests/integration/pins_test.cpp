// Rollbacks run the images that ran (SPEC section 9): one tag, app:0.1, pushed twice with
// different images. Revision 1 runs image A; revision 2, after B was pushed under the same
// tag, runs B; revision 1 deployed again (CodeDeploy's rollback) must run A again -- with A
// still local (re-tagged), with A removed locally (pulled by digest), and not with
// pull.pin: never (then it runs B, as before pins existed).

#include <fstream>
#include <map>

#include "support/command.hpp"
#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

class PinsTest : public PerComposeTest {
  protected:
    void SetUp() override {
        PerComposeTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        m_port = free_port();
        // Per test: a repository of its own in the shared registry.
        m_repo = registry() + "/it-pins/" + m_project;
        m_tag = m_repo + ":0.1";
    }

    void TearDown() override {
        StackTest::TearDown();
        for (const auto& id : m_built) {
            run_command({"docker", "rmi", "-f", id}, Millis(30000));
        }
    }

    static std::string registry() {
        const char* env = std::getenv("STAGEHAND_TEST_REGISTRY");
        return env != nullptr && *env != '\0' ? env : "127.0.0.1:5000";
    }

    // Builds a stand-in image made distinct by a label, tags it as app:0.1 and pushes it;
    // returns its id.
    std::string push_app(const std::string& variant) {
        const fs::path dir = m_dir / ("image-" + variant);
        fs::create_directories(dir);
        std::ofstream(dir / "Dockerfile") << "FROM " << standin_image("rabbitmq") << "\n";
        const auto built = run_command(
            {"docker", "build", "-q", "--label", "org.stagehand.it=" + m_project + "-" + variant,
             "-t", m_tag, dir.string()},
            Millis(120000), {"DOCKER_BUILDKIT=0"});
        EXPECT_TRUE(built.ok()) << built.describe();
        const std::string id = image_id(m_tag);
        m_built.push_back(id);
        const auto pushed = run_command({"docker", "push", m_tag}, Millis(120000));
        EXPECT_TRUE(pushed.ok()) << pushed.describe();
        return id;
    }

    static std::string image_id(const std::string& reference) {
        auto out = run_command({"docker", "image", "inspect", "-f", "{{.Id}}", reference}).out;
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
            out.pop_back();
        }
        return out;
    }

    // Revisions 1 and 2 differ only in a file beside the compose file, as when a pipeline
    // reuses the tag: the compose file, and so each service's configuration, is the same.
    fs::path revision(int number, const std::string& pin = "") {
        const std::string name = "rev" + std::to_string(number) + pin;
        if (const auto written = m_bundles.find(name); written != m_bundles.end()) {
            return written->second;  // the same revision again: the same files
        }
        auto app = service("app", m_tag, m_port,
                           {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "0.2"});
        auto spec = stack({app});
        spec.pull_pin = pin;
        const fs::path dir = bundle(spec, name);
        std::ofstream(dir / "REVISION") << number << "\n";
        m_bundles[name] = dir;
        return dir;
    }

    std::string running_image() {
        const auto container = m_docker.service_container(m_project, "app");
        EXPECT_TRUE(container.running) << container.status;
        return container.image_id;
    }

    // Deploys rev1, then B under the same tag and rev2; returns {A, B}.
    std::pair<std::string, std::string> deploy_one_then_two(const std::string& pin = "") {
        const std::string a = push_app("A");
        expect_deployed(deploy(revision(1, pin)));
        EXPECT_EQ(running_image(), a);
        const std::string b = push_app("B");
        EXPECT_NE(a, b);
        expect_deployed(deploy(revision(2, pin)));
        EXPECT_EQ(running_image(), b);
        return {a, b};
    }

    nlohmann::json revisions_record() const {
        return nlohmann::json::parse(read_text(m_dir / "state" / "revisions.json"), nullptr, false);
    }

    int m_port = 0;
    std::string m_repo;
    std::string m_tag;
    std::vector<std::string> m_built;
    std::map<std::string, fs::path> m_bundles;
};

TEST_P(PinsTest, ARollbackReTagsTheImageTheRevisionRan) {
    const auto [a, b] = deploy_one_then_two();
    const std::string first_id = revisions_record()["projects"][m_project][0]["deployment_id"];
    const auto rollback = deploy(revision(1));
    const std::string id = expect_deployed(rollback);
    EXPECT_EQ(running_image(), a);
    EXPECT_EQ(image_id(m_tag), a);
    // One line naming the tag, both digests and the deployment it came from.
    const std::string log = log_file(id);
    const auto line_at = log.find("pinned " + m_tag + " back to sha256:");
    ASSERT_NE(line_at, std::string::npos) << log;
    const std::string line = log.substr(line_at, log.find('\n', line_at) - line_at);
    EXPECT_NE(line.find("deployment " + first_id), std::string::npos) << line;
    EXPECT_NE(line.find("re-tagged locally"), std::string::npos) << line;
    const auto pins = report(id)["hooks"]["after-install"]["pins"];
    ASSERT_EQ(pins.size(), 1u) << pins.dump();
    EXPECT_EQ(pins[0]["action"], "retag");
    EXPECT_NE(pins[0]["from"], pins[0]["to"]);
    // Every deployment was validated and recorded with the image it ran.
    const auto entries = revisions_record()["projects"][m_project];
    ASSERT_EQ(entries.size(), 3u) << entries.dump();
    for (const auto& entry : entries) {
        EXPECT_EQ(entry["state"], "validated") << entry.dump();
    }
    EXPECT_EQ(entries[0]["services"]["app"]["id"], a);
    EXPECT_EQ(entries[1]["services"]["app"]["id"], b);
    EXPECT_EQ(entries[2]["services"]["app"]["id"], a);
    EXPECT_EQ(entries[0]["fingerprint"], entries[2]["fingerprint"]);
    EXPECT_NE(entries[0]["fingerprint"], entries[1]["fingerprint"]);
    EXPECT_EQ(entries[0]["services"]["app"]["digest"].get<std::string>().rfind("sha256:", 0), 0u);
}

TEST_P(PinsTest, ARollbackPullsByDigestAnImageNoLongerLocal) {
    const auto [a, b] = deploy_one_then_two();
    const auto removed = run_command({"docker", "rmi", a}, Millis(30000));
    ASSERT_TRUE(removed.ok()) << removed.describe();
    ASSERT_TRUE(image_id(a).empty());
    const std::string id = expect_deployed(deploy(revision(1)));
    EXPECT_EQ(running_image(), a);
    EXPECT_NE(log_file(id).find("pulled by digest"), std::string::npos) << log_file(id);
    EXPECT_EQ(report(id)["hooks"]["after-install"]["pins"][0]["action"], "pull_by_digest");
}

TEST_P(PinsTest, PinNeverRunsWhatTheTagNamesNow) {
    const auto [a, b] = deploy_one_then_two("never");
    const std::string id = expect_deployed(deploy(revision(1, "never")));
    EXPECT_EQ(running_image(), b);
    EXPECT_EQ(log_file(id).find("pinned"), std::string::npos) << log_file(id);
}

// Compose v1 and v2 decide differently whether a re-tagged image recreates a container (v1
// compares the image id it resolves, v2 the configuration hash and the image): both must run
// the pinned image.
INSTANTIATE_TEST_SUITE_P(Compose, PinsTest, ::testing::ValuesIn(compose_generations()),
                         generation_name);

}  // namespace
}  // namespace stagehand::integration
