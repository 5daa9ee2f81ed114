// state_dir and log_dir in trouble, seen from the console (SPEC section 2; issue 13 items 9
// and 10): a full state_dir and a read-only log_dir are reported with the errno they had,
// before the verdict, which stays the last line; damaged state files are moved aside -- for
// each hook.

#include <cctype>

#include <nlohmann/json.hpp>

#include "hook_fixture.hpp"

namespace stagehand::hooks_test {
namespace {

class HookStateTest : public HookTest {};

TEST_F(HookStateTest, FullStateDirIsReportedBeforeTheVerdict) {
    mount_tmpfs(m_state, "size=64k");
    if (IsSkipped()) {
        return;
    }
    // A first run stages (the manifest), so the next before-install has nothing to write
    // there and only the report fails.
    ASSERT_EQ(run("before-install").status, 0);
    fill_up(m_state);
    for (const auto& hook : k_hooks) {
        SCOPED_TRACE(hook);
        const auto result = run(hook);
        EXPECT_EQ(result.status, hook == "before-install" ? 0 : 1) << result.output;
        expect_clean_output(result);
        const int warning = result.line_index("could not write the deployment report");
        EXPECT_GE(warning, 0) << result.output;
        EXPECT_TRUE(result.has_line_containing("No space left on device")) << result.output;
        EXPECT_LT(warning, result.line_index(result.last_line())) << result.output;
    }
}

TEST_F(HookStateTest, ReadOnlyLogDirIsReportedAsReadOnly) {
    const fs::path readonly = m_dir / "ro";
    mount_tmpfs(readonly, "size=64k,ro");
    if (IsSkipped()) {
        return;
    }
    for (const fs::path& log_dir : {readonly / "log", readonly}) {
        SCOPED_TRACE(log_dir);
        m_log = log_dir;
        write_config();
        for (const auto& hook : k_hooks) {
            SCOPED_TRACE(hook);
            const auto result = run(hook);
            EXPECT_EQ(result.status, hook == "before-install" ? 0 : 1) << result.output;
            expect_clean_output(result);
            const int warning = result.line_index("Read-only file system");
            EXPECT_GE(warning, 0) << result.output;
            EXPECT_NE(
                result.lines[static_cast<std::size_t>(std::max(warning, 0))].find(log_dir.string()),
                std::string::npos)
                << result.output;
            for (const auto& line : result.lines) {
                EXPECT_FALSE(line.find(log_dir.string()) != std::string::npos &&
                             line.find("No such file or directory") != std::string::npos)
                    << result.output;
            }
        }
    }
}

// Every state file a hook reads back, truncated, wrongly shaped and binary (issue 13 item 9):
// the file is moved aside as <name>.damaged with a warning naming it, the run goes on to its
// usual end (before-install stages; after-install and validate-service reach Docker, which
// is absent here), and no "internal error" reaches the console.
struct Damage {
    std::string name;
    std::string content;
};

const std::vector<Damage> k_damages{
    {"truncated", "{\"bundle\": {\"web\": {\"peak_bytes\": 1048"},
    {"wrong shape", "{\"bundle\":[1,2,3],\"hooks\":[1],\"projects\":7}"},
    {"binary", std::string("\x7f"
                           "ELF\x02\x01\0\0\xff\xfe\x1b[2J\r\n",
                           16)},
};

struct StateFileCase {
    std::string file;  // under state_dir
    std::string hook;  // a hook that reads it
    int status = 0;    // its exit status here
};

void PrintTo(const StateFileCase& c, std::ostream* out) {
    *out << c.file << " read by " << c.hook;
}

class DamagedStateFileTest : public HookTest,
                             public ::testing::WithParamInterface<StateFileCase> {};

TEST_P(DamagedStateFileTest, IsMovedAsideWithAWarningAndTheRunGoesOn) {
    const auto& param = GetParam();
    const fs::path path = m_state / param.file;
    for (const auto& damage : k_damages) {
        SCOPED_TRACE(damage.name);
        fs::remove(fs::path(path.string() + ".damaged"));
        write_file(path, damage.content);
        const auto result = run(param.hook);
        EXPECT_EQ(result.status, param.status) << result.output;
        expect_clean_output(result);
        EXPECT_FALSE(result.has_line_containing("internal error")) << result.output;
        EXPECT_FALSE(result.has_line_containing("json.exception")) << result.output;
        const int warning = result.line_index(path.string() + " is damaged (");
        EXPECT_GE(warning, 0) << result.output;
        EXPECT_TRUE(result.has_line_containing("moved aside to " + path.string() + ".damaged"))
            << result.output;
        EXPECT_EQ(read_file(path.string() + ".damaged"), damage.content);
        if (param.file != "profiles.json") {  // profiles are only written after a good start
            EXPECT_TRUE(fs::exists(path)) << "not rewritten";
        }
    }
}

const std::string k_report = "reports/d-HOOKTEST.json";

INSTANTIATE_TEST_SUITE_P(StateDir, DamagedStateFileTest,
                         ::testing::Values(StateFileCase{"profiles.json", "after-install", 1},
                                           StateFileCase{"staging-manifest.json", "before-install",
                                                         0},
                                           StateFileCase{k_report, "before-install", 0},
                                           StateFileCase{k_report, "after-install", 1},
                                           StateFileCase{k_report, "validate-service", 1}),
                         [](const ::testing::TestParamInfo<StateFileCase>& param) {
                             std::string name = param.param.file + "_" + param.param.hook;
                             for (char& c : name) {
                                 c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                             }
                             return name;
                         });

TEST_F(HookStateTest, DryRunWarnsAboutDamagedProfilesAndChangesNothing) {
    const fs::path path = m_state / "profiles.json";
    const std::string damaged =
        "{\"bundle\": {\"web\": {\"peak_bytes\": \"1g\", \"ready_ms\": 1}}}";
    write_file(path, damaged);
    const auto result = run("after-install", {"--dry-run"});
    EXPECT_EQ(result.status, 0) << result.output;
    expect_clean_lines(result);
    EXPECT_TRUE(result.has_line_containing(path.string() + " is damaged (")) << result.output;
    EXPECT_EQ(read_file(path), damaged);
    EXPECT_FALSE(fs::exists(path.string() + ".damaged"));
}

// A rollback re-deploys a revision that succeeded here before: --dry-run says which tags the
// run would point back at what that deployment ran (SPEC section 9), from the record alone,
// and leaves a damaged record as it is.
TEST_F(HookStateTest, DryRunShowsWhatARollbackWouldPin) {
    const auto first = run("after-install", {"--dry-run", "--log-format", "json"});
    ASSERT_EQ(first.status, 0) << first.output;
    nlohmann::json plan;
    for (const auto& line : first.lines) {
        if (auto json = nlohmann::json::parse(line, nullptr, false); json.contains("rollback")) {
            plan = json;
        }
    }
    ASSERT_TRUE(plan.contains("rollback")) << first.output;
    const std::string fingerprint = plan["rollback"].value("fingerprint", "");
    ASSERT_EQ(fingerprint.size(), 64u) << plan["rollback"].dump();
    EXPECT_NE(plan["rollback"].value("ran_before_in", "").find("not succeeded here"),
              std::string::npos)
        << plan["rollback"].dump();

    // "bundle (the compose file's folder name)": the name, then where it came from.
    std::string project = plan.value("project", "");
    project = project.substr(0, project.find(' '));
    const fs::path record = m_state / "revisions.json";
    const nlohmann::json entry = {
        {"fingerprint", fingerprint},
        {"deployment_id", "d-BEFORE"},
        {"time", "2026-12-01T10:00:00Z"},
        {"state", "validated"},
        {"services",
         {{"web", {{"image", "nginx:1"}, {"id", "sha256:1d"}, {"digest", "sha256:d1"}}}}}};
    const std::string text =
        nlohmann::json{{"version", 1}, {"projects", {{project, {entry}}}}}.dump();
    write_file(record, text);
    const auto again = run("after-install", {"--dry-run"});
    EXPECT_EQ(again.status, 0) << again.output;
    expect_clean_lines(again);
    EXPECT_TRUE(
        again.has_line_containing("ran_before_in: d-BEFORE (2026-12-01T10:00:00Z, validated)"))
        << again.output;
    EXPECT_TRUE(again.has_line_containing("web: nginx:1 -> sha256:d1 (what it ran)"))
        << again.output;
    EXPECT_EQ(read_file(record), text);

    write_file(record, "{\"version\":1,\"projects\":{\"p\":[{\"fingerp");
    const auto damaged = run("after-install", {"--dry-run"});
    EXPECT_EQ(damaged.status, 0) << damaged.output;
    EXPECT_TRUE(damaged.has_line_containing(record.string() + " is damaged (")) << damaged.output;
    EXPECT_EQ(read_file(record), "{\"version\":1,\"projects\":{\"p\":[{\"fingerp");
    EXPECT_FALSE(fs::exists(record.string() + ".damaged"));
}

TEST_F(HookStateTest, BinaryLockFileDoesNotStopARun) {
    write_file(m_state / "lock", std::string("\xff\xfe\0\x1b[2J{\"pid\":", 14));
    const auto result = run("before-install");
    EXPECT_EQ(result.status, 0) << result.output;
    expect_clean_output(result);
}

}  // namespace
}  // namespace stagehand::hooks_test
