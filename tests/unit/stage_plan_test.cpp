#include "core/stage/plan.hpp"

#include <gtest/gtest.h>

#include "core/stage/manifest.hpp"
#include "core/stage/prune.hpp"

namespace stagehand::core {
namespace {

using std::chrono::system_clock;

FileFacts facts(const char* sha, unsigned mode, std::uint32_t uid, std::uint32_t gid) {
    return FileFacts{sha, mode, uid, gid, 10};
}

TEST(StagePlan, ActionComparesContentModeAndOwner) {
    FilePlan f;
    f.target = facts("aaa", 0644, 1000, 1000);
    EXPECT_EQ(f.action(), FileAction::create);
    f.current = facts("aaa", 0644, 1000, 1000);
    EXPECT_EQ(f.action(), FileAction::unchanged);
    for (const auto& changed : {facts("bbb", 0644, 1000, 1000), facts("aaa", 0600, 1000, 1000),
                                facts("aaa", 0644, 0, 1000), facts("aaa", 0644, 1000, 0)}) {
        f.current = changed;
        EXPECT_EQ(f.action(), FileAction::replace);
    }
}

TEST(StagePlan, ChooseOwnership) {
    const Ownership ours{0, 0};
    const std::optional<FileFacts> none;
    const std::optional<FileFacts> existing = facts("x", 0644, 500, 600);
    constexpr auto unknown = static_cast<std::uint32_t>(-1);
    struct Row {
        std::optional<std::uint32_t> owner, owner_gid, group;
        std::optional<FileFacts> current;
        std::uint32_t uid, gid;
    };
    const Row rows[] = {
        {std::nullopt, std::nullopt, std::nullopt, none, 0, 0},          // new file: ours
        {std::nullopt, std::nullopt, std::nullopt, existing, 500, 600},  // unchanged owner
        {1000, 1000, std::nullopt, existing, 1000, 1000},                // owner's primary group
        {1000, 1000, 992, none, 1000, 992},                              // explicit group wins
        {4242, unknown, std::nullopt, existing, 4242, 600},              // LDAP uid: keep group
        {4242, unknown, std::nullopt, none, 4242, 0},
        {std::nullopt, std::nullopt, 992, existing, 500, 992},
    };
    for (const auto& r : rows) {
        const auto got = choose_ownership(r.owner, r.owner_gid, r.group, r.current, ours);
        EXPECT_EQ(got.uid, r.uid);
        EXPECT_EQ(got.gid, r.gid);
    }
}

TEST(StagePlan, StopOrderIsReverseStartOrderOfRunningServices) {
    const std::vector<std::string> start = {"zookeeper", "kafka", "api", "gateway"};
    const auto order = stop_order({"api", "zookeeper", "gateway", "api", "old-worker"}, start);
    EXPECT_EQ(order.ordered, (std::vector<std::string>{"gateway", "api", "zookeeper"}));
    EXPECT_EQ(order.unknown, std::vector<std::string>{"old-worker"});
    EXPECT_TRUE(stop_order({}, start).ordered.empty());
}

TEST(StagePlan, BackupNamesAndEscaping) {
    EXPECT_EQ(escape_destination("/home/ec2-user/docker-compose.yml"),
              "home%2Fec2-user%2Fdocker-compose.yml");
    EXPECT_EQ(escape_destination("/a%2Fb/c"), "a%252Fb%2Fc");  // reversible
    EXPECT_NE(escape_destination("/a/b_c"), escape_destination("/a_b/c"));
    const auto when = system_clock::time_point{} + std::chrono::milliseconds(1714564800123LL);
    EXPECT_EQ(backup_name(when, "0123456789abcdef0123"), "20240501T120000.123Z-0123456789ab");
    EXPECT_EQ(rfc3339_utc(when), "2024-05-01T12:00:00Z");
}

TEST(StagePlan, BackupRotationKeepsTheNewestN) {
    const std::vector<std::string> names = {
        "20240501T120000.000Z-aaaaaaaaaaaa", "20240301T120000.000Z-bbbbbbbbbbbb", "notes.txt",
        "20240401T120000.000Z-cccccccccccc", "20240601T120000.000Z-dddddddddddd"};
    EXPECT_EQ(backups_to_remove(names, 2),
              (std::vector<std::string>{"20240301T120000.000Z-bbbbbbbbbbbb",
                                        "20240401T120000.000Z-cccccccccccc"}));
    EXPECT_TRUE(backups_to_remove(names, 4).empty());
    EXPECT_EQ(backups_to_remove(names, 0).size(), 4U);  // never "notes.txt"
}

TEST(StagePlan, DescribePlanListsEveryOperation) {
    StagePlan plan;
    plan.project = "shop";
    plan.stop = true;
    plan.stop_candidates = {"api", "db"};
    plan.clean = {{"/opt/app/current", true}, {"/opt/app/missing", false}};
    FilePlan f;
    f.source = "/bundle/deploy/compose.yml";
    f.destination = "/home/ec2-user/compose.yml";
    f.target = FileFacts{std::string(64, 'a'), 0644, 1000, 1000, 2048};
    f.owner = "ec2-user";
    f.group = "ec2-user";
    f.current = FileFacts{std::string(64, 'b'), 0644, 1000, 1000, 10};
    plan.files.push_back(f);
    f.destination = "/etc/app/new.conf";
    f.current.reset();
    f.create_folder = true;
    plan.files.push_back(f);
    f.destination = "/etc/app/same.conf";
    f.current = f.target;
    plan.files.push_back(f);
    plan.prune_images = true;
    plan.images = {"shop/api:2"};
    plan.state_dir = "/var/lib/stagehand";
    const auto lines = describe_plan(plan);
    ASSERT_EQ(lines.size(), 8U);
    EXPECT_EQ(lines[0],
              "stop the running containers of compose project shop, gracefully, in reverse start "
              "order: api, db");
    EXPECT_EQ(lines[1], "clean /opt/app/current: remove everything inside it");
    EXPECT_EQ(lines[2], "clean /opt/app/missing: does not exist, nothing to do");
    EXPECT_EQ(lines[3],
              "install /bundle/deploy/compose.yml -> /home/ec2-user/compose.yml (0644 "
              "ec2-user:ec2-user, 2 KiB, sha256 aaaaaaaaaaaa); replaces sha256 bbbbbbbbbbbb, "
              "kept in backups");
    EXPECT_NE(lines[4].find("(new file, "), std::string::npos);
    EXPECT_NE(lines[4].find("creates its folder"), std::string::npos);
    EXPECT_EQ(lines[5].rfind("unchanged /etc/app/same.conf", 0), 0U);
    EXPECT_NE(lines[6].find("/var/lib/stagehand/staging-manifest.json"), std::string::npos);
    EXPECT_NE(lines[7].find("keeping shop/api:2"), std::string::npos);
    EXPECT_EQ(describe_plan(StagePlan{}), std::vector<std::string>{"nothing to stage"});
}

TEST(StageManifest, RoundTripAndDamage) {
    StagingManifest m;
    m.projects["shop"] = next_project_manifest(
        nullptr, "d-1", "2024-05-01T12:00:00Z",
        {ManifestFile{"/etc/a", std::string(64, 'a'), 0640, "root", "root", 0, 0, 12}},
        {"shop/api:1"});
    auto back = manifest_from_json(manifest_to_json(m));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->projects.count("shop"), 1U);
    EXPECT_TRUE(back->projects["shop"].same_content(m.projects["shop"]));
    EXPECT_EQ(back->projects["shop"].files[0].mode, 0640U);
    EXPECT_NE(manifest_to_json(m).find("\"mode\": \"0640\""), std::string::npos);
    EXPECT_TRUE(manifest_from_json("")->projects.empty());
    for (const char* bad :
         {"{", "[]", "{\"projects\": 3}", "{\"projects\": {\"a\": {\"files\": [{}]}}}",
          "{\"projects\": {\"a\": {\"files\": "
          "[{\"path\":\"/x\",\"sha256\":\"\",\"mode\":\"9z\"}]}}}"}) {
        auto r = manifest_from_json(bad);
        EXPECT_FALSE(r) << bad;
    }
}

TEST(StageManifest, ImageListsFollowDeployments) {
    auto d1 = next_project_manifest(nullptr, "d-1", "t1", {}, {"api:1", "db:5"});
    EXPECT_TRUE(d1.previous_images.empty());
    auto d2 = next_project_manifest(&d1, "d-2", "t2", {}, {"api:2", "db:5"});
    EXPECT_EQ(d2.previous_images, (std::vector<std::string>{"api:1", "db:5"}));
    // Most recently named last: db:5 moves behind api:2.
    EXPECT_EQ(d2.image_history, (std::vector<std::string>{"api:1", "api:2", "db:5"}));
    // A re-run of d-2 keeps d-1 as the last good deployment.
    auto d2again = next_project_manifest(&d2, "d-2", "t3", {}, {"api:2", "db:5"});
    EXPECT_EQ(d2again.previous_images, d2.previous_images);
    EXPECT_TRUE(d2again.same_content(d2));
    ProjectManifest big;
    for (int i = 0; i < 80; ++i) {
        big.image_history.push_back("img:" + std::to_string(i));
    }
    auto capped = next_project_manifest(&big, "d-9", "t", {}, {"new:1"});
    EXPECT_EQ(capped.image_history.size(), k_image_history_max);
    EXPECT_EQ(capped.image_history.back(), "new:1");
}

TEST(StagePrune, NormalisesReferences) {
    EXPECT_EQ(normalise_image_ref("nginx"), "nginx:latest");
    EXPECT_EQ(normalise_image_ref("docker.io/library/nginx:1.25"), "nginx:1.25");
    EXPECT_EQ(normalise_image_ref("docker.io/me/app"), "me/app:latest");
    EXPECT_EQ(normalise_image_ref("registry:5000/app"), "registry:5000/app:latest");
    EXPECT_EQ(normalise_image_ref("registry:5000/app:2"), "registry:5000/app:2");
    EXPECT_EQ(normalise_image_ref("app@sha256:abc"), "app@sha256:abc");
}

TEST(StagePrune, RemovesOnlyUnusedImagesThatNoDeploymentNames) {
    PruneFacts facts;
    facts.candidates = {"shop/api:1",  "shop/api:2", "shop/api:3", "rabbitmq:3",
                        "shop/gone:1", "shop/old:1", "shop/api:1"};
    facts.keep = {"shop/api:3", "docker.io/shop/api:2"};  // current and last good
    facts.in_use = {"rabbitmq:3", "sha256:old"};
    facts.local = {{"shop/api:1", "sha256:a1"},
                   {"shop/api:2", "sha256:a2"},
                   {"shop/api:3", "sha256:a3"},
                   {"rabbitmq:3", "sha256:r3"},
                   {"shop/old:1", "sha256:old"}};
    const auto decisions = decide_prune(facts);
    ASSERT_EQ(decisions.size(), 6U);  // duplicates folded
    std::vector<std::string> removed;
    for (const auto& d : decisions) {
        if (d.remove) {
            removed.push_back(d.image);
        }
    }
    EXPECT_EQ(removed, std::vector<std::string>{"shop/api:1"});
    EXPECT_EQ(decisions[4].reason, "not present");
    EXPECT_EQ(decisions[5].reason, "used by a container");  // by image id
}

TEST(StagePrune, KeepsTheImagesOfTheLastGoodDeploymentsByTheirIds) {
    // shop/api:0.1 was pushed again: the tag's current image is named, the image an earlier
    // good deployment ran under the old tag shop/api:old is kept only through its id.
    PruneFacts facts;
    facts.candidates = {"shop/api:old", "shop/api:older"};
    facts.keep = {"shop/api:0.1"};
    facts.keep_ids = {"sha256:ran-before"};
    facts.local = {{"shop/api:0.1", "sha256:now"},
                   {"shop/api:old", "sha256:ran-before"},
                   {"shop/api:older", "sha256:ancient"}};
    const auto decisions = decide_prune(facts);
    ASSERT_EQ(decisions.size(), 2U);
    EXPECT_FALSE(decisions[0].remove);
    EXPECT_EQ(decisions[0].reason, "run by one of the last good deployments (pull.keep)");
    EXPECT_TRUE(decisions[1].remove);
}

}  // namespace
}  // namespace stagehand::core
