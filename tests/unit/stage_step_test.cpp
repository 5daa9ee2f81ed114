// The staging step: validation (every rule, nothing touched), clean, stop order, prune.
// Install atomicity, rollback and fault injection are in stage_install_test.cpp.

#include "steps/stage/stage_step.hpp"

#include "stage_harness.hpp"

namespace stagehand::steps::testing {
namespace {

class StageStepTest : public StageTest {
  protected:
    // Validates `in` and returns the diagnostics' text, asserting nothing changed on disk.
    std::vector<std::string> problems(const StageInputs& in) {
        const auto before = snapshot(root);
        auto ctx = context();
        os::PosixFileSystem fs;
        StageStep step(ctx, fs, in);
        auto result = step.validate();
        EXPECT_TRUE(result) << result.error().message;
        EXPECT_EQ(snapshot(root), before) << "validation changed the tree";
        std::vector<std::string> out;
        if (result) {
            for (const auto& p : result->problems) {
                out.push_back(p.key + ": " + p.message);
            }
        }
        return out;
    }
    // Asserts exactly one problem, under `key`, for rule `rule`, mentioning `part`.
    void expect_problem(const StageInputs& in, const std::string& key, const std::string& rule,
                        const std::string& part = "") {
        const auto found = problems(in);
        ASSERT_EQ(found.size(), 1U) << (found.empty() ? "no problem" : found.back());
        EXPECT_EQ(found[0].rfind(key + ": rule " + rule + ": ", 0), 0U) << found[0];
        EXPECT_NE(found[0].find(part), std::string::npos) << found[0];
    }
};

TEST_F(StageStepTest, SourceRules) {
    write_text(bundle + "/deploy/app.yml", "x");
    write_text(root + "/outside/secret", "s");
    stdfs::create_symlink(bundle + "/deploy/app.yml", bundle + "/deploy/link.yml");
    stdfs::create_directory_symlink(root + "/outside", bundle + "/escape");
    struct Row {
        std::string source, rule, part;
    };
    const Row rows[] = {
        {"deploy/missing.yml", "source-missing", "does not exist in the bundle"},
        {"deploy/link.yml", "source-type", "is a symlink, not a regular file"},
        {"deploy", "source-type", "is a folder"},
        {"escape/secret", "source-in-bundle", "outside the bundle"},
        {"../outside/secret", "source-in-bundle", "climbs out of the bundle"},
    };
    for (const auto& row : rows) {
        auto in = inputs();
        in.stage.files = {file(row.source, dest + "/x.yml")};
        SCOPED_TRACE(row.source);
        expect_problem(in, "stage.files[0].source", row.rule, row.part);
    }
}

TEST_F(StageStepTest, SymlinkInADestinationIsRefusedWithTheRealPath) {
    write_text(bundle + "/app.yml", "x");
    stdfs::create_directories(root + "/real/app");
    stdfs::create_directory_symlink(root + "/real", dest + "/current");
    auto in = inputs();
    in.stage.files = {file("app.yml", dest + "/current/app/app.yml")};
    expect_problem(in, "stage.files[0].destination", "symlink",
                   "goes through the symlink " + dest + "/current -> " + root + "/real; write " +
                       root + "/real/app/app.yml instead");
    // The destination itself a symlink.
    write_text(root + "/real/target.yml", "t");
    stdfs::create_symlink(root + "/real/target.yml", dest + "/link.yml");
    in.stage.files = {file("app.yml", dest + "/link.yml")};
    expect_problem(in, "stage.files[0].destination", "symlink",
                   "write " + root + "/real/target.yml instead");
    // A clean folder through a symlink.
    in.stage.files.clear();
    in.stage.clean = {dest + "/current/app"};
    expect_problem(in, "stage.clean[0]", "symlink", "write " + root + "/real/app instead");
}

TEST_F(StageStepTest, DestinationAndCleanFolderTypes) {
    write_text(bundle + "/app.yml", "x");
    stdfs::create_directories(dest + "/folder");
    write_text(dest + "/plain", "p");
    auto in = inputs();
    in.stage.files = {file("app.yml", dest + "/folder")};
    expect_problem(in, "stage.files[0].destination", "destination-type", "is a folder");
    in.stage.files = {file("app.yml", dest + "/plain/x.yml")};
    expect_problem(in, "stage.files[0].destination", "path-type", "to be a folder");
    in.stage.files = {file("app.yml", dest + "/a.yml"), file("app.yml", dest + "/a.yml")};
    expect_problem(in, "stage.files[1].destination", "duplicate-destination");
    in.stage.files.clear();
    in.stage.clean = {dest + "/plain"};
    expect_problem(in, "stage.clean[0]", "clean-type", "not a folder");
}

TEST_F(StageStepTest, CleanFolderContainingStateDirIsRefused) {
    auto in = inputs();
    in.state_dir = dest + "/app/state";
    in.stage.clean = {dest + "/app"};
    expect_problem(in, "stage.clean[0]", "state-dir",
                   "cleaning " + dest + "/app would delete state_dir " + dest + "/app/state");
    // Also when the state_dir is reached through a symlink.
    stdfs::create_directories(dest + "/real-state");
    stdfs::create_directory_symlink(dest + "/real-state", root + "/state-link");
    in.state_dir = root + "/state-link";
    in.stage.clean = {dest};
    expect_problem(in, "stage.clean[0]", "state-dir", dest + "/real-state");
}

TEST_F(StageStepTest, CleanFolderThatIsAMountPointIsRefused) {
    mount_tmpfs(dest + "/mnt", "64k");
    auto in = inputs();
    in.mountinfo_path = "/proc/self/mountinfo";
    in.stage.clean = {dest + "/mnt"};
    expect_problem(in, "stage.clean[0]", "mount-point", dest + "/mnt is a mount point");
    in.stage.clean = {dest};
    expect_problem(in, "stage.clean[0]", "mount-point",
                   dest + "/mnt is a mount point inside " + dest);
}

// Issue 13.14: an unknown owner pointed at the list item's line, not the `owner` key's.
TEST_F(StageStepTest, UnknownOwnerOrGroupPointsAtItsOwnLine) {
    write_text(bundle + "/app.yml", "x");
    auto in = inputs();
    auto f = file("app.yml", dest + "/app.yml");
    f.mark = {"stagehand.yml", 4, 7};
    f.owner = "no-such-user";
    f.owner_mark = {"stagehand.yml", 7, 14};
    f.group = "no-such-group";
    f.group_mark = {"stagehand.yml", 8, 14};
    in.stage.files = {f};
    const auto before = snapshot(root);
    auto ctx = context();
    os::PosixFileSystem fs;
    StageStep step(ctx, fs, in);
    auto result = step.validate();
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_EQ(result->problems.size(), 2U);
    EXPECT_EQ(result->problems[0].key, "stage.files[0].owner");
    EXPECT_EQ(result->problems[0].at.line, 7);
    EXPECT_EQ(result->problems[0].at.column, 14);
    EXPECT_EQ(result->problems[1].key, "stage.files[0].group");
    EXPECT_EQ(result->problems[1].at.line, 8);
    EXPECT_EQ(snapshot(root), before);
}

TEST_F(StageStepTest, OwnersGroupsAndModes) {
    write_text(bundle + "/app.yml", "x");
    auto in = inputs();
    auto f = file("app.yml", dest + "/app.yml");
    f.owner = "nosuchuser";
    in.stage.files = {f};
    expect_problem(in, "stage.files[0].owner", "unknown-owner", "\"nosuchuser\" is not in");
    f.owner.reset();
    f.group = "nosuchgroup";
    in.stage.files = {f};
    expect_problem(in, "stage.files[0].group", "unknown-group", "\"nosuchgroup\"");
    f.group.reset();
    f.mode = 010644;
    in.stage.files = {f};
    expect_problem(in, "stage.files[0].mode", "mode");
    f.mode = 0600;
    f.owner = "ec2-user";
    f.group = "4242";
    in.stage.files = {f};
    EXPECT_TRUE(problems(in).empty());
}

TEST_F(StageStepTest, AsRootSourcesAndConfigMustNotBeWritableByOthers) {
    write_text(bundle + "/app.yml", "x", 0666);
    write_text(bundle + "/stagehand.yml", "version: 1\n", 0664);
    auto in = inputs();
    in.as_root = true;
    in.stage.files = {file("app.yml", dest + "/app.yml")};
    const auto found = problems(in);
    ASSERT_EQ(found.size(), 1U);  // the config file is not set yet
    EXPECT_EQ(found[0], "stage.files[0].source: rule writable-by-others: " + bundle +
                            "/app.yml is writable by group or others (mode 0666) and stagehand "
                            "runs as root; fix: chmod go-w " +
                            bundle + "/app.yml");
    in.config_path = bundle + "/stagehand.yml";
    EXPECT_EQ(problems(in).size(), 2U);
    ::chmod((bundle + "/app.yml").c_str(), 0644);
    expect_problem(in, "config", "writable-by-others", "chmod go-w " + bundle + "/stagehand.yml");
    in.as_root = false;  // an operator's dry run as a user: not enforced
    EXPECT_TRUE(problems(in).empty());
}

TEST_F(StageStepTest, EveryProblemIsReportedAtOnce) {
    write_text(bundle + "/app.yml", "x");
    auto in = inputs();
    in.stage.clean = {"/opt", "/var/lib/docker/volumes"};
    in.stage.files = {file("missing", "/etc"), file("app.yml", "/usr/lib/x")};
    const auto found = problems(in);
    ASSERT_EQ(found.size(), 5U);
    EXPECT_NE(found[0].find("rule system-folder: /opt is a system folder"), std::string::npos);
    EXPECT_NE(found[1].find("Docker's data folder"), std::string::npos);
    EXPECT_NE(found[2].find("source-missing"), std::string::npos);
    EXPECT_NE(found[3].find("rule system-folder: /etc is a system folder"), std::string::npos);
    EXPECT_NE(found[4].find("/usr/lib/x is under the system folder /usr"), std::string::npos);
}

TEST_F(StageStepTest, CleanEmptiesFoldersWithoutFollowingLinks) {
    write_text(dest + "/app/current/old.jar", "j");
    write_text(dest + "/app/current/lib/a.so", "a");
    write_text(root + "/precious/data", "keep me");
    stdfs::create_directory_symlink(root + "/precious", dest + "/app/current/link");
    auto in = inputs();
    in.stage.clean = {dest + "/app/current", dest + "/app/never-created"};
    const auto out = stage(in);
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_TRUE(stdfs::is_directory(dest + "/app/current"));
    EXPECT_TRUE(stdfs::is_empty(dest + "/app/current"));
    EXPECT_EQ(read_text(root + "/precious/data"), "keep me");
    EXPECT_FALSE(stdfs::exists(dest + "/app/never-created"));
    ASSERT_GE(out.ops.size(), 2U);
    EXPECT_EQ(out.ops[0].status, OpStatus::done);
    EXPECT_EQ(out.ops[1].status, OpStatus::skipped);
    EXPECT_EQ(out.ops[1].detail, "does not exist");
}

TEST_F(StageStepTest, StopsOnlyThisProjectsRunningServicesInReverseStartOrder) {
    docker.set_containers({container("db", true, "postgres:16", "sha256:p"),
                           container("web", true, "shop/web:1", "sha256:w"),
                           container("api", false, "shop/api:1", "sha256:a"),
                           container("retired", true, "shop/retired:1", "sha256:r")});
    auto in = inputs();
    in.stage.stop = true;
    in.stop_timeout_seconds = 20;
    const auto out = stage(in);
    ASSERT_TRUE(out.status) << out.status.error().message;
    EXPECT_EQ(docker.calls("project_containers"),
              std::vector<std::string>{"project_containers shop"});
    EXPECT_EQ(compose.stopped,
              (std::vector<std::vector<std::string>>{{"web"}, {"db"}}));  // api was not running
    EXPECT_EQ(compose.timeouts, (std::vector<int>{20, 20}));
    EXPECT_EQ(out.ops[0].target, "retired");
    EXPECT_EQ(out.ops[0].status, OpStatus::skipped);
}

TEST_F(StageStepTest, AFailedStopStopsBeforeTouchingFiles) {
    write_text(bundle + "/app.yml", "new");
    write_text(dest + "/app.yml", "old");
    write_text(dest + "/clean/x", "x");
    docker.set_containers({container("api", true, "shop/api:1", "sha256:a")});
    compose.fail_stop = true;
    auto in = inputs();
    in.stage.stop = true;
    in.stage.clean = {dest + "/clean"};
    in.stage.files = {file("app.yml", dest + "/app.yml")};
    const auto out = stage(in);
    ASSERT_FALSE(out.status);
    EXPECT_EQ(out.status.error().message, "failed to stop service api: compose stop exited with 1");
    EXPECT_EQ(read_text(dest + "/app.yml"), "old");
    EXPECT_TRUE(stdfs::exists(dest + "/clean/x"));
}

TEST_F(StageStepTest, StopWithoutDockerIsAnError) {
    auto in = inputs();
    in.stage.stop = true;
    auto ctx = context();
    ctx.docker = nullptr;
    os::PosixFileSystem fs;
    StageStep step(ctx, fs, in);
    auto v = step.validate();
    ASSERT_TRUE(v && v->ok());
    EXPECT_FALSE(step.run(v->plan).status);
}

TEST_F(StageStepTest, PruneRemovesOnlyUnusedImagesNoDeploymentNames) {
    auto in = inputs();
    in.stage.prune_images = true;
    in.images = {"shop/api:1"};
    ASSERT_TRUE(stage(in).status);  // d-1 names api:1
    in.deployment_id = "d-2";
    in.images = {"shop/api:2"};
    ASSERT_TRUE(stage(in).status);  // d-2 names api:2, d-1 is the last good
    docker.clear_calls();
    docker.set_containers({container("api", false, "shop/api:2", "sha256:a2"),
                           container("worker", false, "shop/worker:7", "sha256:w7")});
    docker.set_images({{"shop/api:1", "sha256:a1"},
                       {"shop/api:2", "sha256:a2"},
                       {"shop/api:3", "sha256:a3"},
                       {"shop/worker:7", "sha256:w7"},
                       {"other/project:1", "sha256:o1"}});
    in.deployment_id = "d-3";
    in.images = {"shop/api:3"};
    auto out = stage(in);
    ASSERT_TRUE(out.status);
    // api:1 belonged to d-1, which is now neither current (d-3) nor last good (d-2).
    EXPECT_EQ(docker.calls("remove_image"), std::vector<std::string>{"remove_image shop/api:1"});
    in.deployment_id = "d-3";  // a re-run of d-3 keeps d-2's images
    docker.clear_calls();
    ASSERT_TRUE(stage(in).status);
    EXPECT_EQ(docker.calls("remove_image"), std::vector<std::string>{"remove_image shop/api:1"});
}

TEST_F(StageStepTest, DryRunDescribesThePlanAndChangesNothing) {
    write_text(bundle + "/app.yml", "x");
    write_text(dest + "/clean/file", "f");
    auto in = inputs();
    in.stage.clean = {dest + "/clean"};
    in.stage.files = {file("app.yml", dest + "/new/app.yml")};
    const auto before = snapshot(root);
    auto ctx = context();
    os::PosixFileSystem fs;
    StageStep step(ctx, fs, in);
    auto v = step.validate();
    ASSERT_TRUE(v && v->ok());
    const auto lines = step.describe_plan(v->plan);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0], "clean " + dest + "/clean: remove everything inside it");
    EXPECT_NE(lines[1].find("-> " + dest + "/new/app.yml (new file, 0644 root:root"),
              std::string::npos)
        << lines[1];
    EXPECT_EQ(snapshot(root), before);
}

}  // namespace
}  // namespace stagehand::steps::testing
