// `codedeploy-sim deploy`: event order, ApplicationStop from the previous revision, the
// agent's Install (cleanup of the previous Install, file_exists_behavior), failures.

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "support/sim_process.hpp"

namespace stagehand::agent::sim_test {
namespace {

// Every hook appends "<event> <deployment id> <revision tag>" to events.log.
const char* const k_events[] = {"ApplicationStop", "BeforeInstall", "AfterInstall",
                                "ApplicationStart", "ValidateService"};

class DeployTest : public ::testing::Test {
  protected:
    // A bundle: app/ (installed to dest/) and one hook per event tagged with `tag`.
    // before_install: extra shell lines for BeforeInstall; extra_appspec: appended top-level YAML.
    fs::path bundle(const std::string& tag, const std::string& before_install = "",
                    const std::string& extra_appspec = "") {
        const fs::path dir = m_dir / ("bundle-" + tag + "-" + std::to_string(++m_bundles));
        std::string appspec =
            "version: 0.0\nos: linux\nfiles:\n  - source: /app\n    destination: " +
            dest().string() + "\nhooks:\n";
        for (const char* event : k_events) {
            appspec += std::string("  ") + event + ":\n    - location: hooks/" + event +
                       "\n      timeout: 30\n";
            const std::string extra = std::string(event) == "BeforeInstall" ? before_install : "";
            write_script(dir / "hooks" / event, extra + "echo \"$LIFECYCLE_EVENT $DEPLOYMENT_ID " +
                                                    tag + "\" >> " +
                                                    (m_dir / "events.log").string() + "\n");
        }
        write_file(dir / "appspec.yml", appspec + extra_appspec);
        write_file(dir / "app" / "app.conf", "revision " + tag + "\n");
        write_file(dir / "app" / "sub" / "data.txt", "data " + tag + "\n");
        return dir;
    }

    fs::path dest() const { return m_dir / "dest"; }
    fs::path root() const { return m_dir / "root"; }

    SimRun deploy(const fs::path& bundle_dir, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"deploy",   "--bundle",      bundle_dir.string(),
                                      "--root",   root().string(), "--application",
                                      "randhand", "--group",       "prod"};
        args.insert(args.end(), extra.begin(), extra.end());
        SimRun run = run_sim(args);
        // 2: the simulator itself failed (a bad command line or an exception), never a
        // deployment outcome; its stderr says why.
        EXPECT_NE(run.exit_status, 2) << run.err;
        return run;
    }

    // events.log lines for one deployment id, with the id removed: "<event> <tag>".
    std::vector<std::string> events_of(const std::string& deployment_id) const {
        std::vector<std::string> out;
        std::istringstream lines(read_file(m_dir / "events.log"));
        for (std::string event, id, tag; lines >> event >> id >> tag;) {
            if (id == deployment_id) {
                out.push_back(event + " " + tag);
            }
        }
        return out;
    }

    TempDir m_dir;
    int m_bundles = 0;
};

TEST_F(DeployTest, FirstDeploymentRunsTheEventsInOrderAndSkipsApplicationStop) {
    const SimRun run = deploy(bundle("A"));
    const auto& summary = run.last();
    ASSERT_EQ(run.exit_status, 0) << run.out << run.err;
    EXPECT_EQ(summary["type"], "summary");
    EXPECT_EQ(summary["status"], "Succeeded");
    const std::string id = summary["deployment_id"];
    EXPECT_TRUE(std::regex_match(id, std::regex("d-[A-Z0-9]{9}-local"))) << id;
    EXPECT_EQ(events_of(id), (std::vector<std::string>{"BeforeInstall A", "AfterInstall A",
                                                       "ApplicationStart A", "ValidateService A"}));
    EXPECT_EQ(run.of_type("hook").size(), 4u);
    EXPECT_EQ(read_file(dest() / "app.conf"), "revision A\n");
    EXPECT_EQ(read_file(dest() / "sub" / "data.txt"), "data A\n");
    for (const auto& event : summary["events"]) {
        if (event["event"] == "ApplicationStop") {
            EXPECT_EQ(event["status"], "Skipped");
        }
    }
    EXPECT_TRUE(summary["previous_deployment_root"].is_null());
    EXPECT_TRUE(fs::exists(root() / "prod" / id / "deployment-archive" / "appspec.yml"));
    EXPECT_NE(read_file(root() / "prod" / id / "logs" / "scripts.log")
                  .find("LifecycleEvent - ValidateService"),
              std::string::npos);
}

TEST_F(DeployTest, ApplicationStopRunsThePreviousRevision) {
    const SimRun first = deploy(bundle("A"));
    const SimRun second = deploy(bundle("B"));
    ASSERT_EQ(second.exit_status, 0) << second.out;
    EXPECT_EQ(events_of(second.last()["deployment_id"]),
              (std::vector<std::string>{"ApplicationStop A", "BeforeInstall B", "AfterInstall B",
                                        "ApplicationStart B", "ValidateService B"}));
    EXPECT_EQ(second.last()["previous_deployment_root"], first.last()["deployment_root"]);
    EXPECT_EQ(read_file(dest() / "app.conf"), "revision B\n");
    // A rollback is a new deployment of the old revision: B's stop script runs first.
    const SimRun rollback = deploy(bundle("A"));
    EXPECT_EQ(events_of(rollback.last()["deployment_id"]).front(), "ApplicationStop B");
    EXPECT_EQ(read_file(dest() / "app.conf"), "revision A\n");
}

TEST_F(DeployTest, FilesOfThePreviousInstallDoNotTripDisallowAndAreCleanedUp) {
    const fs::path a = bundle("A");
    write_file(a / "app" / "only-in-a.txt", "a\n");
    const SimRun first = deploy(a);
    ASSERT_EQ(first.exit_status, 0) << first.out << first.err;
    const SimRun run = deploy(bundle("B"));
    ASSERT_EQ(run.exit_status, 0) << run.out;
    EXPECT_FALSE(fs::exists(dest() / "only-in-a.txt"));  // the agent's cleanup file removed it
    const auto install = run.of_type("install").at(0);
    EXPECT_NE(install["removed"].dump().find("only-in-a.txt"), std::string::npos);
}

TEST_F(DeployTest, DisallowFailsInstallOnAFileTheLastInstallDidNotCreate) {
    write_file(dest() / "app.conf", "left behind by hand\n");
    const SimRun run = deploy(bundle("A"));
    const auto& summary = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(summary["status"], "Failed");
    EXPECT_EQ(summary["failed_event"], "Install");
    EXPECT_EQ(summary["error_code"], 5);
    EXPECT_EQ(summary["error"],
              "The deployment failed because a specified file already exists at this location: " +
                  (dest() / "app.conf").string());
    EXPECT_EQ(events_of(summary["deployment_id"]), std::vector<std::string>{"BeforeInstall A"});
    EXPECT_EQ(read_file(dest() / "app.conf"), "left behind by hand\n");
}

TEST_F(DeployTest, DisallowPassesWhenBeforeInstallClearsTheDestination) {
    write_file(dest() / "app.conf", "left behind by hand\n");
    const SimRun run = deploy(bundle("A", "rm -rf '" + dest().string() + "'\n"));
    EXPECT_EQ(run.last()["status"], "Succeeded") << run.out;
    EXPECT_EQ(read_file(dest() / "app.conf"), "revision A\n");
}

TEST_F(DeployTest, OverwriteReplacesAndRetainKeepsExistingFiles) {
    write_file(dest() / "app.conf", "stale\n");
    EXPECT_EQ(deploy(bundle("A", "", "file_exists_behavior: RETAIN\n")).exit_status, 0);
    EXPECT_EQ(read_file(dest() / "app.conf"), "stale\n");
    // The RETAINed file was not installed by the agent, so it still counts as foreign.
    EXPECT_EQ(deploy(bundle("B")).last()["failed_event"], "Install");
    EXPECT_EQ(deploy(bundle("C", "", "file_exists_behavior: OVERWRITE\n")).exit_status, 0);
    EXPECT_EQ(read_file(dest() / "app.conf"), "revision C\n");
}

TEST_F(DeployTest, InvalidFileExistsBehaviorFailsInstall) {
    const SimRun run = deploy(bundle("A", "", "file_exists_behavior: overwrite\n"));
    EXPECT_EQ(run.last()["failed_event"], "Install");
    EXPECT_NE(run.last()["error"].get<std::string>().find(
                  "invalid option was specified for fileExistsBehavior: overwrite"),
              std::string::npos);
}

TEST_F(DeployTest, FailingHookEndsTheDeployment) {
    const fs::path b = bundle("A");
    write_script(b / "hooks" / "AfterInstall", "echo 'image missing' >&2\nexit 3\n");
    const SimRun run = deploy(b);
    const auto& summary = run.last();
    EXPECT_EQ(run.exit_status, 1);
    EXPECT_EQ(summary["failed_event"], "AfterInstall");
    EXPECT_EQ(summary["failed_script"], "hooks/AfterInstall");
    EXPECT_EQ(summary["error_code"], 4);
    EXPECT_EQ(summary["error"],
              "Script at specified location: hooks/AfterInstall failed with exit code 3");
    EXPECT_EQ(events_of(summary["deployment_id"]), std::vector<std::string>{"BeforeInstall A"});
    const auto hooks = run.of_type("hook");
    ASSERT_EQ(hooks.size(), 2u);
    EXPECT_NE(hooks[1]["tail"].get<std::string>().find("[stderr]image missing\n"),
              std::string::npos);
}

TEST_F(DeployTest, BrokenStopScriptBlocksTheNextDeployment) {
    const fs::path a = bundle("A");
    write_script(a / "hooks" / "ApplicationStop", "exit 1\n");
    ASSERT_EQ(deploy(a).exit_status, 0);  // its stop script is not run on the first deployment
    const SimRun next = deploy(bundle("B"));
    EXPECT_EQ(next.last()["failed_event"], "ApplicationStop");
    EXPECT_EQ(next.last()["error_code"], 4);
}

TEST_F(DeployTest, InvalidAppspecFailsAtBeforeInstall) {
    const fs::path b = bundle("A");
    write_file(b / "appspec.yml", "version: \"0.0\"\nos: linux\n");
    const SimRun run = deploy(b);
    EXPECT_EQ(run.last()["failed_event"], "BeforeInstall");
    EXPECT_EQ(run.last()["error_code"], 5);
    EXPECT_EQ(run.last()["error"].get<std::string>().rfind(
                  "The deployment failed because an invalid version value (0.0) was entered", 0),
              0u);
}

TEST_F(DeployTest, StopAfterEndsSuccessfullyAtThatEvent) {
    const SimRun run =
        deploy(bundle("A"), {"--stop-after", "Install", "--deployment-id", "d-FIXED0001-local"});
    const auto& summary = run.last();
    EXPECT_EQ(run.exit_status, 0);
    EXPECT_EQ(summary["status"], "Succeeded");
    EXPECT_EQ(summary["stopped_after"], "Install");
    EXPECT_EQ(summary["deployment_id"], "d-FIXED0001-local");
    EXPECT_EQ(summary["events"].back()["event"], "Install");
    EXPECT_EQ(events_of("d-FIXED0001-local"), std::vector<std::string>{"BeforeInstall A"});
}

TEST_F(DeployTest, HooksSeeTheDeploymentVariables) {
    const fs::path b = bundle("A");
    write_script(b / "hooks" / "ValidateService",
                 "env | grep -E "
                 "'^(APPLICATION_NAME|DEPLOYMENT_GROUP_NAME|DEPLOYMENT_GROUP_ID|EXTRA)=' | sort\n");
    const SimRun run = deploy(b, {"--group-id", "g-1234", "--env", "EXTRA=yes"});
    const std::string tail = run.of_type("hook").back()["tail"];
    EXPECT_NE(tail.find("[stdout]APPLICATION_NAME=randhand\n[stdout]DEPLOYMENT_GROUP_ID=g-1234\n"
                        "[stdout]DEPLOYMENT_GROUP_NAME=prod\n[stdout]EXTRA=yes\n"),
              std::string::npos)
        << tail;
    EXPECT_TRUE(fs::exists(root() / "g-1234" / run.last()["deployment_id"].get<std::string>()));
}

// Issue 13.6: codedeploy-local without -a/-d: DEPLOYMENT_GROUP_NAME is LocalFleet and
// APPLICATION_NAME the bundle's path (which a hook deriving a project name must survive).
TEST_F(DeployTest, LocalModeDefaultsToLocalFleetAndTheBundlePath) {
    const fs::path b = bundle("A");
    write_script(b / "hooks" / "ValidateService",
                 "env | grep -E '^(APPLICATION_NAME|DEPLOYMENT_GROUP_NAME)=' | sort\n");
    const SimRun run = run_sim({"deploy", "--bundle", b.string(), "--root", root().string()});
    ASSERT_EQ(run.exit_status, 0) << run.out << run.err;
    const std::string tail = run.of_type("hook").back()["tail"];
    EXPECT_NE(tail.find("[stdout]APPLICATION_NAME=" + b.string() +
                        "\n[stdout]DEPLOYMENT_GROUP_NAME=LocalFleet\n"),
              std::string::npos)
        << tail;
    EXPECT_EQ(run.last()["deployment_group"], "LocalFleet");
    EXPECT_EQ(run.last()["application"], b.string());
}

}  // namespace
}  // namespace stagehand::agent::sim_test
