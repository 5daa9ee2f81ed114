// The revisions record (SPEC section 9): the bundle fingerprint, the record's JSON and its
// damage handling, which deployments are good and kept, and the pin decision.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/revisions/revisions.hpp"
#include "docker_test_support.hpp"
#include "runtime/revisions_state.hpp"
#include "support/null_log.hpp"

namespace stagehand::core {
namespace {

namespace fs = std::filesystem;
using os::testing_support::TempDir;

RevisionEntry entry(const std::string& fingerprint, const std::string& id,
                    RevisionState state = RevisionState::installed,
                    const std::string& image_id = "sha256:a") {
    RevisionEntry e;
    e.fingerprint = fingerprint;
    e.deployment_id = id;
    e.time = "2026-12-06T08:00:00Z";
    e.state = state;
    e.services["api"] = ServiceImage{"reg:5000/shop/api:0.1", image_id, "sha256:d-" + image_id};
    return e;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

TEST(BundleFingerprint, IgnoresTheOrderButNotPathsOrContents) {
    const std::vector<BundleFile> files{{"appspec.yml", "11"}, {"hooks/after-install", "22"}};
    const std::string base = bundle_fingerprint(files);
    EXPECT_EQ(base.size(), 64u);
    EXPECT_EQ(bundle_fingerprint({files[1], files[0]}), base);
    EXPECT_NE(bundle_fingerprint({{"appspec.yml", "11"}, {"hooks/after-install", "23"}}), base);
    EXPECT_NE(bundle_fingerprint({{"appspec.yml", "11"}, {"hooks/before-install", "22"}}), base);
    EXPECT_NE(bundle_fingerprint({files[0]}), base);
    // The path/content boundary is unambiguous.
    EXPECT_NE(bundle_fingerprint({{"ab", "c"}}), bundle_fingerprint({{"a", "bc"}}));
}

TEST(BundleFingerprint, OfAFolderFollowsEveryFileAndNotSymlinks) {
    TempDir dir;
    write(dir.path / "appspec.yml", "version: 0.0\n");
    write(dir.path / "deploy" / "docker-compose.yml", "services: {}\n");
    const auto first = runtime::fingerprint_bundle(dir.path.string());
    ASSERT_TRUE(first) << first.error().message;
    // The same files elsewhere: the same fingerprint (paths are relative).
    TempDir copy;
    fs::copy(dir.path, copy.path, fs::copy_options::recursive);
    EXPECT_EQ(*runtime::fingerprint_bundle(copy.path.string()), *first);
    write(copy.path / "deploy" / "docker-compose.yml", "services: {a: {}}\n");
    EXPECT_NE(*runtime::fingerprint_bundle(copy.path.string()), *first);
    fs::create_symlink("/etc/passwd", dir.path / "link");
    const auto with_link = runtime::fingerprint_bundle(dir.path.string());
    ASSERT_TRUE(with_link);
    EXPECT_NE(*with_link, *first);
}

TEST(RevisionsRecord, RoundTripsThroughJson) {
    RevisionsRecord record;
    auto e = entry("f1", "d-1", RevisionState::validated);
    e.bundle_commit = "0123abc";
    e.services["worker"] = ServiceImage{"worker", "sha256:w", ""};
    record_revision(record, "shop", e);
    record_revision(record, "other", entry("f9", "d-9", RevisionState::failed));
    const auto back = revisions_from_json(revisions_to_json(record));
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->projects.at("shop").size(), 1u);
    const auto& got = back->projects.at("shop")[0];
    EXPECT_EQ(got.fingerprint, "f1");
    EXPECT_EQ(got.bundle_commit, "0123abc");
    EXPECT_EQ(got.state, RevisionState::validated);
    EXPECT_EQ(got.services, e.services);
    EXPECT_EQ(back->projects.at("other")[0].state, RevisionState::failed);
}

TEST(RevisionsRecord, RejectsWhatIsNotARecord) {
    EXPECT_TRUE(revisions_from_json(""));
    for (const char* bad :
         {"{", "[]", "{\"version\":2,\"projects\":{}}", "{\"version\":1}",
          "{\"version\":1,\"projects\":{\"p\":[{\"fingerprint\":1}]}}",
          "{\"version\":1,\"projects\":{\"p\":[{\"fingerprint\":\"f\",\"deployment_id\":\"d\","
          "\"state\":\"happy\",\"services\":{}}]}}"}) {
        const auto parsed = revisions_from_json(bad);
        EXPECT_FALSE(parsed) << bad;
        if (!parsed) {
            EXPECT_EQ(parsed.error().code, EINVAL) << bad;
        }
    }
}

TEST(RevisionsRecord, ADamagedRecordIsMovedAsideAndReadAsEmpty) {
    TempDir dir;
    const fs::path path = dir.path / "revisions.json";
    write(path, "{\"version\":1,\"projects\":{\"p\":[{\"fingerp");
    testing::NullLog log;
    const auto record = runtime::read_revisions(dir.path.string(), log);
    EXPECT_TRUE(record.projects.empty());
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(fs::exists(dir.path / "revisions.json.damaged"));
    // The next write starts a good record.
    RevisionsRecord fresh;
    record_revision(fresh, "p", entry("f", "d-1"));
    ASSERT_TRUE(runtime::write_revisions(dir.path.string(), fresh));
    EXPECT_EQ(runtime::read_revisions(dir.path.string(), log).projects.at("p").size(), 1u);
    EXPECT_TRUE(runtime::read_revisions((dir.path / "absent").string(), log).projects.empty());
}

TEST(RevisionsRecord, ARerunReplacesItsEntryAndTheOldestGoFirst) {
    RevisionsRecord record;
    record_revision(record, "p", entry("f1", "d-1"));
    record_revision(record, "p", entry("f1", "d-1", RevisionState::installed, "sha256:b"));
    ASSERT_EQ(record.projects["p"].size(), 1u);
    EXPECT_EQ(record.projects["p"][0].services["api"].id, "sha256:b");
    for (std::size_t i = 0; i < k_revisions_max + 3; ++i) {
        record_revision(record, "p", entry("f", "n-" + std::to_string(i)));
    }
    ASSERT_EQ(record.projects["p"].size(), k_revisions_max);
    EXPECT_EQ(record.projects["p"].front().deployment_id, "n-3");
    EXPECT_EQ(record.projects["p"].back().deployment_id,
              "n-" + std::to_string(k_revisions_max + 2));
}

TEST(RevisionsRecord, LastGoodSkipsFailedValidationsAndOtherRevisions) {
    RevisionsRecord record;
    record_revision(record, "p", entry("rev1", "d-1", RevisionState::validated, "sha256:a"));
    record_revision(record, "p", entry("rev2", "d-2", RevisionState::validated, "sha256:b"));
    record_revision(record, "p", entry("rev1", "d-3", RevisionState::installed, "sha256:c"));
    EXPECT_EQ(last_good(record, "p", "rev1")->deployment_id, "d-3");
    ASSERT_TRUE(mark_revision(record, "p", "d-3", RevisionState::failed));
    EXPECT_EQ(last_good(record, "p", "rev1")->deployment_id, "d-1");
    EXPECT_EQ(last_good(record, "p", "rev3"), nullptr);
    EXPECT_EQ(last_good(record, "q", "rev1"), nullptr);
    EXPECT_FALSE(mark_revision(record, "p", "d-9", RevisionState::validated));
}

TEST(RevisionsRecord, KeptImageIdsAreThoseOfTheNewestGoodDeployments) {
    RevisionsRecord record;
    record_revision(record, "p", entry("r1", "d-1", RevisionState::validated, "sha256:a"));
    record_revision(record, "p", entry("r2", "d-2", RevisionState::validated, "sha256:b"));
    record_revision(record, "p", entry("r3", "d-3", RevisionState::failed, "sha256:c"));
    record_revision(record, "p", entry("r4", "d-4", RevisionState::installed, "sha256:d"));
    EXPECT_EQ(kept_image_ids(record, "p", 2), (std::vector<std::string>{"sha256:d", "sha256:b"}));
    EXPECT_EQ(kept_image_ids(record, "p", 1), (std::vector<std::string>{"sha256:d"}));
    EXPECT_EQ(kept_image_ids(record, "p", 9).size(), 3u);
    EXPECT_TRUE(kept_image_ids(record, "none", 2).empty());
}

struct PinCase {
    const char* name;
    std::string current_id;
    std::string recorded_image;
    std::string recorded_digest;
    bool recorded_local;
    PinMode mode;
    bool may_pull;
    PinAction expected;
    const char* reason_part;
};

TEST(DecidePin, Table) {
    const std::string tag = "reg:5000/app:0.1";
    const std::vector<PinCase> cases{
        {"tag moved, old image local", "sha256:B", tag, "sha256:dA", true, PinMode::rollback, true,
         PinAction::retag, ""},
        {"tag moved, old image gone", "sha256:B", tag, "sha256:dA", false, PinMode::rollback, true,
         PinAction::pull_by_digest, ""},
        {"tag absent, old image gone", "", tag, "sha256:dA", false, PinMode::rollback, true,
         PinAction::pull_by_digest, ""},
        {"tag unchanged", "sha256:A", tag, "sha256:dA", true, PinMode::rollback, true,
         PinAction::keep, "still points"},
        {"pin never", "sha256:B", tag, "sha256:dA", true, PinMode::never, true, PinAction::keep,
         "pull.pin is never"},
        {"other reference", "sha256:B", "reg:5000/app:0.2", "sha256:dA", true, PinMode::rollback,
         true, PinAction::keep, "ran reg:5000/app:0.2"},
        {"gone, no digest", "sha256:B", tag, "", false, PinMode::rollback, true,
         PinAction::impossible, "no repo digest"},
        {"gone, policy never", "sha256:B", tag, "sha256:dA", false, PinMode::rollback, false,
         PinAction::impossible, "pull.policy is never"},
    };
    for (const auto& c : cases) {
        PinFacts facts{"app", tag, c.current_id,
                       ServiceImage{c.recorded_image, "sha256:A", c.recorded_digest},
                       c.recorded_local};
        const auto decision = decide_pin(facts, c.mode, c.may_pull);
        EXPECT_EQ(decision.action, c.expected) << c.name << ": " << to_string(decision.action);
        EXPECT_NE(decision.reason.find(c.reason_part), std::string::npos)
            << c.name << ": " << decision.reason;
    }
}

}  // namespace
}  // namespace stagehand::core
