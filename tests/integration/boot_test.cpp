// The gated boot with the real daemon (SPEC section 11), short of a reboot (the VM suite has
// those: tests/vm/cases_reboot.sh): a deployment records the stack; after-install
// --boot-stop stops it in reverse start order, marked stopped by hand; --boot brings it back
// through the gate in start order, with its own report and log; warnings name the restart
// policies that defeat it.

#include <algorithm>

#include "support/command.hpp"
#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

class BootTest : public StackTest {
  protected:
    // Deploys db and api (api depends on db) through the simulated agent; returns the bundle.
    fs::path deploy_two(const std::string& api_restart = "no") {
        auto db = service("db", standin_image("rabbitmq"), free_port(),
                          {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "0.2"});
        auto api = service("api", standin_image("gesture-service"), free_port(),
                           {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "0.2"});
        api.depends_on = {"db"};
        api.restart = api_restart;
        const fs::path dir = bundle(stack({db, api}), "rev");
        m_deployment_id = expect_deployed(deploy(dir));
        return dir;
    }

    CommandResult boot_mode(const fs::path& bundle, const std::string& mode) {
        auto env = m_docker.env();
        return run_command({(bundle / "hooks" / "after-install").string(), mode, "--state-dir",
                            (m_dir / "state").string()},
                           Millis(120000), env);
    }

    // The containers' start times, as Docker recorded them (RFC 3339 sorts as text).
    std::string started(const std::string& svc) const {
        return m_docker.service_container(m_project, svc).started_at;
    }

    std::string m_deployment_id;
};

TEST_F(BootTest, StopsInReverseStartOrderAndBootsThroughTheGate) {
    const fs::path dir = deploy_two();
    const auto record = nlohmann::json::parse(read_text(m_dir / "state" / "boot.json"));
    EXPECT_EQ(record["projects"][m_project]["start_order"], nlohmann::json({"db", "api"}));
    EXPECT_TRUE(fs::exists(m_dir / "state" / "boot" / m_project / "compose.yml"));

    const auto stop = boot_mode(dir, "--boot-stop");
    ASSERT_TRUE(stop.ok()) << stop.describe() << stop.out;
    EXPECT_NE(stop.out.find("OK: boot-stop: " + m_project + ": stopped 2 containers"),
              std::string::npos)
        << stop.out;
    EXPECT_LT(stop.out.find("[api] stopping"), stop.out.find("[db] stopping")) << stop.out;
    for (const char* svc : {"db", "api"}) {
        EXPECT_FALSE(m_docker.service_container(m_project, svc).running) << svc;
    }

    const auto boot = boot_mode(dir, "--boot");
    ASSERT_TRUE(boot.ok()) << boot.describe() << boot.out;
    EXPECT_NE(boot.out.find("OK: boot: " + m_project + ": 2 services ready"), std::string::npos)
        << boot.out;
    EXPECT_LT(started("db"), started("api"));
    for (const char* svc : {"db", "api"}) {
        EXPECT_TRUE(m_docker.service_container(m_project, svc).running) << svc;
    }
    // Its own report and log, named as a boot.
    int reports = 0;
    for (const auto& entry : fs::directory_iterator(m_dir / "state" / "reports")) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("boot-", 0) == 0) {
            ++reports;
            const auto report = nlohmann::json::parse(read_text(entry.path()));
            EXPECT_EQ(report["hooks"]["boot"]["outcome"], "succeeded") << name;
            EXPECT_EQ(report["hooks"]["boot"]["start"]["services"].size(), 2u) << name;
        }
    }
    EXPECT_EQ(reports, 1);
    bool boot_log = false;
    for (const auto& entry : fs::directory_iterator(m_dir / "log")) {
        boot_log = boot_log || entry.path().filename().string().rfind("boot-2", 0) == 0;
    }
    EXPECT_TRUE(boot_log);

    // Again on the running stack: nothing to start.
    const auto again = boot_mode(dir, "--boot");
    ASSERT_TRUE(again.ok()) << again.describe() << again.out;
    EXPECT_NE(again.out.find("(2 unchanged)"), std::string::npos) << again.out;
}

TEST_F(BootTest, WarnsAboutARestartPolicyThatDefeatsIt) {
    deploy_two("always");
    const std::string output = log_file(m_deployment_id);
    EXPECT_NE(output.find("[api] restart: always defeats a gated boot"), std::string::npos)
        << output;
    EXPECT_EQ(output.find("[db] restart"), std::string::npos) << output;
}

}  // namespace
}  // namespace stagehand::integration
