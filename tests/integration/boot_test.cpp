// The gated boot with the real daemon (SPEC section 11), short of a reboot (the VM suite has
// those: tests/vm/cases_reboot.sh): a deployment records the stack; after-install
// --boot-stop stops it in reverse start order, marked stopped by hand; --boot brings it back
// through the gate in start order, with its own report and log; warnings name the restart
// policies that defeat it; a shutdown (SIGTERM) while --boot is still starting the stack.

#include <signal.h>

#include <algorithm>
#include <chrono>

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

    std::vector<std::string> boot_argv(const fs::path& bundle, const std::string& mode) const {
        return {(bundle / "hooks" / "after-install").string(), mode, "--state-dir",
                (m_dir / "state").string()};
    }

    CommandResult boot_mode(const fs::path& bundle, const std::string& mode) {
        return run_command(boot_argv(bundle, mode), Millis(120000), m_docker.env());
    }

    // The boot reports in the state folder (reports/boot-*.json), oldest name first.
    std::vector<nlohmann::json> boot_reports() const {
        std::vector<fs::path> paths;
        for (const auto& entry : fs::directory_iterator(m_dir / "state" / "reports")) {
            if (entry.path().filename().string().rfind("boot-", 0) == 0) {
                paths.push_back(entry.path());
            }
        }
        std::sort(paths.begin(), paths.end());
        std::vector<nlohmann::json> reports;
        for (const auto& path : paths) {
            reports.push_back(nlohmann::json::parse(read_text(path)));
        }
        return reports;
    }

    // The newest boot log (log/boot-2*.log), "" when none.
    std::string boot_log() const {
        std::string newest;
        for (const auto& entry : fs::directory_iterator(m_dir / "log")) {
            const std::string name = entry.path().filename().string();
            if (name.rfind("boot-2", 0) == 0 && entry.path().string() > newest) {
                newest = entry.path().string();
            }
        }
        return newest.empty() ? std::string() : read_text(newest);
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
    const auto reports = boot_reports();
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0]["hooks"]["boot"]["outcome"], "succeeded");
    EXPECT_EQ(reports[0]["hooks"]["boot"]["start"]["services"].size(), 2u);
    EXPECT_FALSE(boot_log().empty());

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

// A shutdown while the unit is still starting the stack. systemd runs no ExecStop for a unit
// that has not finished starting (systemd.service(5): "ExecStop= ... only executed when the
// service started successfully first"): it sends SIGTERM to the unit's whole control group
// and SIGKILL after TimeoutStopSec (5 min). So --boot itself must stop starting at once, stop
// what runs in reverse start order (the ExecStop systemd skips), exit 143 and say so in its
// verdict, report and log; a --boot-stop afterwards finds nothing left to stop.
TEST_F(BootTest, ASigtermWhileStartingStopsStartingAndStopsTheStackInReverseOrder) {
    const std::vector<std::string> names = {"s1", "s2", "s3", "s4"};
    std::vector<ServiceSpec> chain;
    for (std::size_t i = 0; i < names.size(); ++i) {
        // 3 s to ready each, one after another (each depends on the one before).
        chain.push_back(service(names[i], standin_image("rabbitmq"), free_port(),
                                {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "3"}));
        if (i > 0) {
            chain.back().depends_on = {names[i - 1]};
        }
    }
    const fs::path dir = bundle(stack(chain), "rev");
    expect_deployed(deploy(dir));
    const auto down = boot_mode(dir, "--boot-stop");  // as the shutdown before this boot did
    ASSERT_TRUE(down.ok()) << down.describe() << down.out;
    const std::string s3_started_before = started("s3");

    Child boot = Child::start(boot_argv(dir, "--boot"), m_docker.env());
    ASSERT_TRUE(wait_for([&] { return m_docker.service_container(m_project, "s2").running; },
                         Millis(90000)))
        << "the gate never started s2";
    const auto signalled = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(-boot.pid(), SIGTERM), 0);  // the whole group, as systemd's KillMode does
    const auto result = boot.finish(Millis(120000));
    const auto took =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - signalled);

    EXPECT_EQ(result.status, 143) << result.describe() << result.out << result.err;
    EXPECT_FALSE(result.hit_limit);
    EXPECT_LT(took.count(), 20000) << "systemd's TimeoutStopSec is 5 min";
    const std::string out = result.out + result.err;
    const std::string last = out.substr(out.find_last_of('\n', out.size() - 2) + 1);
    EXPECT_EQ(last.rfind("FAILED: boot: " + m_project + ": ", 0), 0u) << last;
    EXPECT_NE(last.find("interrupted (SIGTERM)"), std::string::npos) << last;
    EXPECT_NE(last.find("then " + m_project + ": stopped 2 containers in reverse start order"),
              std::string::npos)
        << last;
    // Nothing after s2 was started; s2 and s1 were stopped, s2 first.
    EXPECT_EQ(out.find("[s3] starting"), std::string::npos) << out;
    EXPECT_EQ(started("s3"), s3_started_before);
    const auto s2_stop = out.find("[s2] stopping");
    ASSERT_NE(s2_stop, std::string::npos) << out;
    EXPECT_LT(s2_stop, out.find("[s1] stopping")) << out;
    for (const auto& svc : names) {
        EXPECT_FALSE(m_docker.service_container(m_project, svc).running) << svc;
    }
    // The report says interrupted and which services the gate had started.
    const auto reports = boot_reports();
    ASSERT_EQ(reports.size(), 1u);
    const auto& hook = reports.back()["hooks"]["boot"];
    EXPECT_EQ(hook["outcome"], "interrupted") << hook.dump();
    std::vector<std::string> started_by_gate;
    for (const auto& svc : hook["start"]["services"]) {
        if (svc.value("start_ms", -1.0) >= 0) {
            started_by_gate.push_back(svc.value("name", ""));
        }
    }
    EXPECT_EQ(started_by_gate, (std::vector<std::string>{"s1", "s2"})) << hook.dump();
    const std::string log = boot_log();
    EXPECT_NE(log.find("interrupted (SIGTERM)"), std::string::npos) << log;
    EXPECT_NE(log.find("[s1] stopping"), std::string::npos) << log;

    const auto stop = boot_mode(dir, "--boot-stop");
    ASSERT_TRUE(stop.ok()) << stop.describe() << stop.out;
    EXPECT_NE(stop.out.find("stopped 0 containers"), std::string::npos) << stop.out;
}

// A --boot-stop (an operator's, or a second shutdown path) while an interrupted --boot still
// stops the stack itself. --boot holds the host lock through its own stop, so the second waits
// its 20 s for the lock and then stops anyway, beside it: stopping a container that is already
// being stopped must be no error. s1 ignores its stop signal (SIGUSR1, which a container's
// PID 1 without a handler never gets), so its stop takes the whole 24 s grace and the two
// stops overlap. Both end (143 and 0) and nothing keeps running.
TEST_F(BootTest, ABootStopBesideTheInterruptedBootsOwnStopStopsWhatIsLeftWithoutError) {
    auto s1 = service("s1", standin_image("rabbitmq"), free_port(),
                      {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "0.2"});
    s1.compose_extra = {"stop_signal: SIGUSR1"};
    s1.stop_grace_period = "24s";
    auto s2 = service("s2", standin_image("gesture-service"), free_port(),
                      {"--peak-mib", "16", "--steady-mib", "8", "--ramp-s", "5"});
    s2.depends_on = {"s1"};
    const fs::path dir = bundle(stack({s1, s2}), "rev");
    expect_deployed(deploy(dir));
    // Down without waiting out s1's grace (a power cut, not a shutdown).
    for (const char* svc : {"s2", "s1"}) {
        const auto killed =
            run_command({"docker", "kill", m_docker.service_container(m_project, svc).id},
                        Millis(30000), m_docker.env());
        ASSERT_TRUE(killed.ok()) << killed.describe() << killed.out;
    }

    Child boot = Child::start(boot_argv(dir, "--boot"), m_docker.env());
    ASSERT_TRUE(wait_for([&] { return m_docker.service_container(m_project, "s2").running; },
                         Millis(90000)))
        << "the gate never started s2";
    ASSERT_EQ(::kill(-boot.pid(), SIGTERM), 0);
    const auto signalled = std::chrono::steady_clock::now();
    const auto stop = boot_mode(dir, "--boot-stop");
    const auto stop_took =
        std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - signalled);
    const auto booted = boot.finish(Millis(120000));

    EXPECT_EQ(booted.status, 143) << booted.describe() << booted.out << booted.err;
    const std::string boot_out = booted.out + booted.err;
    EXPECT_NE(boot_out.find("stopped 2 containers in reverse start order"), std::string::npos)
        << boot_out;
    ASSERT_TRUE(stop.ok()) << stop.describe() << stop.out << stop.err;
    const std::string stop_out = stop.out + stop.err;
    EXPECT_NE(stop_out.find("stopping anyway"), std::string::npos) << stop_out;
    EXPECT_NE(stop_out.find("OK: boot-stop: " + m_project + ": stopped"), std::string::npos)
        << stop_out;
    EXPECT_GE(stop_took.count(), 20000) << "it waited for the lock first";
    EXPECT_LT(stop_took.count(), 60000) << stop_out;
    for (const char* svc : {"s1", "s2"}) {
        EXPECT_FALSE(m_docker.service_container(m_project, svc).running) << svc;
    }
}

}  // namespace
}  // namespace stagehand::integration
