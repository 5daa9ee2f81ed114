// The reference revision itself (examples/randhand: nine stand-ins, 1100 MiB of peaks) deployed
// through the simulated agent into a private 1 GiB / 1 CPU cgroup made by rig/t2micro.sh, so
// the example stays deployable and the adaptive gate keeps every service alive. Paths, ports,
// the compose project and the cgroup are rewritten to the test's own, so the test neither
// needs nor disturbs a demo stack running on the same host.

#include <fstream>
#include <regex>

#include "support/private_t2micro.hpp"

namespace stagehand::integration {
namespace {

// The ports of the reference stack (examples/randhand/docker-compose.yml).
const int k_reference_ports[] = {5672, 8888, 8761, 8000, 2181, 9092, 8081, 8082};

class ReferenceTest : public PrivateT2microTest {
  protected:
    // Replaces `from` by `to` in text; the example must still contain it.
    static void rewrite(std::string& text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << "examples/randhand no longer contains: " << from;
        for (auto pos = at; pos != std::string::npos; pos = text.find(from, pos + to.size())) {
            text.replace(pos, from.size(), to);
        }
    }

    // examples/randhand with this test's project, folders, cgroup and ports.
    fs::path reference_bundle() {
        const fs::path example = fs::path(STAGEHAND_SOURCE_DIR) / "examples" / "randhand";
        const fs::path dir = m_dir / "randhand";
        std::string appspec = read_text(example / "appspec.yml");
        std::string compose = read_text(example / "docker-compose.yml");
        std::string config = read_text(example / "stagehand.yml");
        const std::string installed = (m_dir / "installed").string();
        rewrite(appspec, "/opt/randhand/current", installed);
        rewrite(config, "/opt/randhand/current", installed);
        rewrite(config, "project: randhand", "project: " + m_project);
        rewrite(config, "/var/lib/stagehand", (m_dir / "state").string());
        rewrite(config, "/var/log/stagehand", (m_dir / "log").string());
        rewrite(config, "cgroup:stagehand-t2micro", "cgroup:" + m_cgroup_dir);
        rewrite(compose, "cgroup_parent: /stagehand-t2micro", "cgroup_parent: /" + m_cgroup);
        for (const int port : k_reference_ports) {
            // "8888" in a command, :8888 in an address or URL; never part of a longer number.
            const std::regex pattern("([\":])" + std::to_string(port) + "(?![0-9])");
            const std::string replacement = "$01" + std::to_string(free_port());
            compose = std::regex_replace(compose, pattern, replacement);
            config = std::regex_replace(config, pattern, replacement);
        }
        fs::create_directories(dir / "hooks");
        std::ofstream(dir / "appspec.yml") << appspec;
        std::ofstream(dir / "docker-compose.yml") << compose;
        std::ofstream(dir / "stagehand.yml") << config;
        for (const char* hook : {"before-install", "after-install", "validate-service"}) {
            fs::copy_file(fs::path(STAGEHAND_HOOK_DIR) / hook, dir / "hooks" / hook);
        }
        return dir;
    }
};

TEST_F(ReferenceTest, RandhandRevisionDeploysInTheT2MicroWithoutOomKills) {
    const fs::path rev = reference_bundle();
    ASSERT_FALSE(HasFatalFailure());
    const auto started = std::chrono::steady_clock::now();
    const auto run = deploy(rev);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    expect_deployed(run);
    RecordProperty("deployment_seconds", std::to_string(seconds));
    const auto containers = m_docker.project_containers(m_project);
    EXPECT_EQ(containers.size(), 9u);
    for (const auto& container : containers) {
        EXPECT_TRUE(container.running) << container.service << " is " << container.status;
        EXPECT_FALSE(container.oom_killed && container.exit_code == 137) << container.service;
        EXPECT_EQ(container.restarts, 0) << container.service;
    }
}

}  // namespace
}  // namespace stagehand::integration
