// The gated boot (SPEC section 11): the boot record's JSON, the boot order, the restart-policy
// warnings, the unit's text (and the .deb's copy of it), installing the unit into a temp root,
// and the start loop's container starter.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/boot/boot_record.hpp"
#include "runtime/boot_unit.hpp"
#include "steps/start/container_starter.hpp"
#include "support/fake_docker.hpp"
#include "temp_tree.hpp"

namespace stagehand {
namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

core::BootEntry entry(const std::string& id, const std::string& time) {
    return core::BootEntry{
        id,
        time,
        "/opt/codedeploy-agent/deployment-root/g/" + id + "/deployment-archive",
        "/opt/codedeploy-agent/deployment-root/g/" + id + "/deployment-archive/docker-compose.yml",
        "",
        {"db", "api"}};
}

TEST(BootRecord, RoundTripsEveryField) {
    core::BootRecord record;
    record.projects["shop"] = entry("d-1", "2026-12-06T08:00:00Z");
    record.projects["shop"].config_file = "/x/stagehand.yml";
    record.projects["blog"] = entry("d-2", "2026-12-05T08:00:00Z");
    const auto back = core::boot_record_from_json(core::boot_record_to_json(record));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->projects, record.projects);
}

TEST(BootRecord, RejectsWhatIsNotARecord) {
    for (const char* text :
         {"", "[]", R"({"version": 2, "projects": {}})", R"({"version": 1})",
          R"({"version": 1, "projects": {"shop": {"deployment_id": "d", "start_order": []}}})",
          R"({"version": 1, "projects": {"shop": {"deployment_id": "d", "compose_file": "c",
              "start_order": "db"}}})"}) {
        const auto parsed = core::boot_record_from_json(text);
        EXPECT_FALSE(parsed) << text;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code, EINVAL);
        }
    }
}

TEST(BootRecord, BootsTheOldestDeploymentFirst) {
    core::BootRecord record;
    record.projects["a-new"] = entry("d-3", "2026-12-06T09:00:00Z");
    record.projects["b-old"] = entry("d-1", "2026-12-01T09:00:00Z");
    record.projects["c-mid"] = entry("d-2", "2026-12-03T09:00:00Z");
    EXPECT_EQ(core::boot_order(record), (std::vector<std::string>{"b-old", "c-mid", "a-new"}));
}

TEST(BootPolicies, WarnsAboutEveryPolicyDockerRestartsAtBoot) {
    core::ComposeFile compose;
    for (const auto& [name, policy] :
         std::vector<std::pair<std::string, std::optional<std::string>>>{{"a", "always"},
                                                                         {"u", "unless-stopped"},
                                                                         {"f", "on-failure:3"},
                                                                         {"n", "no"},
                                                                         {"d", std::nullopt}}) {
        core::ComposeService service;
        service.name = name;
        service.restart = policy;
        compose.services.push_back(service);
    }
    const auto warnings = core::boot_policy_warnings(compose);
    ASSERT_EQ(warnings.size(), 3u);
    EXPECT_EQ(warnings[0].service, "a");
    EXPECT_NE(warnings[0].text.find("restart: always"), std::string::npos);
    EXPECT_NE(warnings[0].text.find("every boot"), std::string::npos);
    EXPECT_EQ(warnings[1].service, "u");
    EXPECT_NE(warnings[1].text.find("power cut"), std::string::npos);
    EXPECT_EQ(warnings[2].service, "f");
    EXPECT_NE(warnings[2].text.find("restart: on-failure:3"), std::string::npos);
    EXPECT_NE(warnings[2].text.find("last exit code was not 0"), std::string::npos);
    for (const auto& warning : warnings) {
        EXPECT_NE(warning.text.find("use restart: \"no\""), std::string::npos) << warning.text;
    }
}

TEST(BootUnit, RunsTheBootAfterDockerAndTheStopBeforeIt) {
    const std::string text = runtime::boot_unit_text("/usr/local/lib/stagehand/after-install",
                                                     runtime::k_default_state_dir);
    for (const char* line :
         {"\nRequires=docker.service\n", "\nAfter=docker.service\n", "\nType=oneshot\n",
          "\nRemainAfterExit=yes\n",
          "\nExecStart=/usr/local/lib/stagehand/after-install --boot --deadline 25m\n",
          "\nExecStop=/usr/local/lib/stagehand/after-install --boot-stop --deadline 4m\n",
          "\nTimeoutStartSec=26min\n", "\nTimeoutStopSec=5min\n",
          "\nWantedBy=multi-user.target\n"}) {
        EXPECT_NE(text.find(line), std::string::npos) << line;
    }
    EXPECT_EQ(text.find("--state-dir"), std::string::npos);
    const std::string other = runtime::boot_unit_text("/x/after-install", "/srv/stagehand");
    EXPECT_NE(other.find("--boot --deadline 25m --state-dir /srv/stagehand\n"), std::string::npos);
    EXPECT_NE(other.find("--boot-stop --deadline 4m --state-dir /srv/stagehand\n"),
              std::string::npos);
}

// The .deb ships packaging/systemd/stagehand-boot.service: the same text for the packaged
// executable, so the two ways of installing the unit cannot drift apart.
TEST(BootUnit, ThePackagedUnitIsTheGeneratedOne) {
    EXPECT_EQ(
        read(std::string(STAGEHAND_SOURCE_DIR) + "/packaging/systemd/stagehand-boot.service"),
        runtime::boot_unit_text("/usr/lib/stagehand/after-install", runtime::k_default_state_dir));
}

TEST(BootUnit, InstallCopiesTheExecutableWritesAndEnablesTheUnit) {
    test::TempTree tree;
    tree.write("/bundle/hooks/after-install", "#!/bin/true\nexecutable bytes\n");
    runtime::BootUnitInstall request;
    request.root = tree.root() + "/root";
    request.source_executable = tree.root() + "/bundle/hooks/after-install";
    const auto installed = runtime::install_boot_unit(request);
    ASSERT_TRUE(installed) << installed.error().message;
    EXPECT_TRUE(installed->copied);
    EXPECT_EQ(installed->executable, "/usr/local/lib/stagehand/after-install");
    const std::string copy = request.root + "/usr/local/lib/stagehand/after-install";
    EXPECT_EQ(read(copy), "#!/bin/true\nexecutable bytes\n");
    struct stat st {};
    ASSERT_EQ(::stat(copy.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(installed->unit_path, request.root + "/etc/systemd/system/stagehand-boot.service");
    EXPECT_EQ(read(installed->unit_path),
              runtime::boot_unit_text(installed->executable, runtime::k_default_state_dir));
    EXPECT_EQ(
        fs::read_symlink(request.root +
                         "/etc/systemd/system/multi-user.target.wants/stagehand-boot.service"),
        "/etc/systemd/system/stagehand-boot.service");
    // Again: nothing to copy, the unit and the link are replaced, no temp file is left.
    const auto again = runtime::install_boot_unit(request);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->copied);
    for (const auto& item : fs::recursive_directory_iterator(request.root)) {
        EXPECT_EQ(item.path().filename().string().find("tmp"), std::string::npos) << item.path();
    }
}

TEST(BootUnit, ThePackagedExecutableIsNotCopied) {
    test::TempTree tree;
    runtime::BootUnitInstall request;
    request.root = tree.root();
    request.source_executable = "/usr/lib/stagehand/after-install";
    request.state_dir = "/srv/state";
    const auto installed = runtime::install_boot_unit(request);
    ASSERT_TRUE(installed) << installed.error().message;
    EXPECT_FALSE(installed->copied);
    EXPECT_EQ(installed->executable, "/usr/lib/stagehand/after-install");
    EXPECT_FALSE(fs::exists(tree.root() + "/usr/local/lib/stagehand"));
    EXPECT_NE(read(installed->unit_path).find("--boot --deadline 25m --state-dir /srv/state"),
              std::string::npos);
}

TEST(BootUnit, AnUnwritableRootIsAnErrorNamingThePath) {
    test::TempTree tree;
    tree.write("/exe", "x");
    tree.write("/root", "a file, not a folder");
    runtime::BootUnitInstall request;
    request.root = tree.root() + "/root";
    request.source_executable = tree.root() + "/exe";
    const auto installed = runtime::install_boot_unit(request);
    ASSERT_FALSE(installed);
    EXPECT_NE(installed.error().message.find(tree.root() + "/root"), std::string::npos)
        << installed.error().message;
}

// A start Docker refused goes back to the start loop as it came (EIO for a server error: the
// loop retries it once, StartSequence.AStartDockerRefusedIsRetriedOnceWithAWarning), one
// call each time.
TEST(ContainerStarter, ARefusedStartIsReturnedAsDockerSaidIt) {
    testing::FakeDocker docker;
    auto consumer = testing::running_container("consumer", "c-consumer");
    consumer.running = false;
    consumer.status = "exited";
    docker.set_containers({consumer});
    const util::Error refused{
        "failed to start container c-consumer: OCI runtime create failed: runc create failed: "
        "unable to start container process: waiting for init preliminary setup: read init-p: "
        "connection reset by peer: unknown",
        EIO};
    steps::ContainerStarter starter(docker, "shop");
    const os::Cancel cancel;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    docker.fail_starts("c-consumer", {refused});
    const auto started = starter.up_service("consumer", deadline, cancel);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, EIO);
    EXPECT_EQ(docker.count("start_container c-consumer"), 1);
    ASSERT_TRUE(starter.up_service("consumer", deadline, cancel));
}

TEST(ContainerStarter, StartsTheServicesRecordedContainerAndStopsRunningOnes) {
    testing::FakeDocker docker;
    auto db = testing::running_container("db", "c-db");
    db.running = false;
    db.status = "exited";
    auto api = testing::running_container("api", "c-api");
    api.running = false;
    api.status = "exited";
    docker.set_containers({db, api});
    steps::ContainerStarter starter(docker, "shop");
    const os::Cancel cancel;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    ASSERT_TRUE(starter.up_service("db", deadline, cancel));
    EXPECT_EQ(docker.count("start_container c-db"), 1);
    EXPECT_EQ(docker.count("start_container"), 1);
    const auto missing = starter.up_service("cache", deadline, cancel);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no container of service cache in project shop"),
              std::string::npos);
    ASSERT_TRUE(starter.stop_services({"api", "db"}, 10, deadline, cancel));
    EXPECT_EQ(docker.count("stop_container"), 1);  // api was not running
    EXPECT_EQ(docker.count("stop_container c-db"), 1);
}

}  // namespace
}  // namespace stagehand
