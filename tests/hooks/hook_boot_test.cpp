// after-install's boot modes run by hand on a temp state_dir, without Docker (SPEC section
// 11): a host with nothing recorded is not a failure, a damaged record is set aside, recorded
// inputs that do not load are named, and --dry-run warns about restart policies that defeat
// a gated boot.

#include "hook_fixture.hpp"

namespace stagehand::hooks_test {
namespace {

class HookBootTest : public HookTest {};

TEST_F(HookBootTest, NothingRecordedIsNotAFailure) {
    for (const char* mode : {"--boot", "--boot-stop"}) {
        SCOPED_TRACE(mode);
        const auto result = run("after-install", {mode, "--state-dir", m_state.string()});
        EXPECT_EQ(result.status, 0) << result.output;
        expect_clean_output(result);
        EXPECT_NE(
            result.last_line().find("nothing recorded in " + (m_state / "boot.json").string()),
            std::string::npos)
            << result.output;
    }
}

TEST_F(HookBootTest, ADamagedRecordIsSetAside) {
    write_file(m_state / "boot.json", "{\"version\": 1, \"projects\": [");
    const auto result = run("after-install", {"--boot", "--state-dir", m_state.string()});
    EXPECT_EQ(result.status, 0) << result.output;
    expect_clean_output(result);
    EXPECT_TRUE(result.has_line_containing("boot.json is damaged")) << result.output;
    EXPECT_TRUE(fs::exists(m_state / "boot.json.damaged"));
    EXPECT_NE(result.last_line().find("nothing recorded"), std::string::npos) << result.output;
}

TEST_F(HookBootTest, RecordedInputsThatDoNotLoadAreNamed) {
    write_file(m_state / "boot.json",
               R"({"version": 1, "projects": {"shop": {"deployment_id": "d-1", "time": "",
                   "compose_file": "/gone/docker-compose.yml", "start_order": ["web"]}}})");
    write_file(m_state / "boot/shop/compose.yml", "services:\n  web:\n    imag: nginx:1\n");
    const auto result = run("after-install", {"--boot", "--state-dir", m_state.string()});
    EXPECT_EQ(result.status, 2) << result.output;
    expect_clean_output(result);
    EXPECT_TRUE(result.has_line_containing("project shop: its recorded inputs in " +
                                           (m_state / "boot/shop").string() + " are invalid"))
        << result.output;
    EXPECT_TRUE(result.has_line_containing("compose.yml:2:3")) << result.output;
}

TEST_F(HookBootTest, BootModesTakeNoServiceSelection) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--boot", "--only", "web"},
          std::vector<std::string>{"--boot", "--boot-stop"},
          std::vector<std::string>{"--state-dir", "/tmp"}}) {
        const auto result = run("after-install", args);
        EXPECT_EQ(result.status, 2) << result.output;
    }
}

TEST_F(HookBootTest, DryRunWarnsAboutPoliciesThatDefeatAGatedBoot) {
    write_file(m_bundle / "docker-compose.yml",
               "services:\n  web:\n    image: nginx:1\n    restart: always\n"
               "  db:\n    image: postgres:16\n    restart: \"no\"\n");
    const auto result = run("after-install", {"--dry-run"});
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_TRUE(result.has_line_containing("[web] restart: always defeats a gated boot"))
        << result.output;
    EXPECT_FALSE(result.has_line_containing("[db] restart")) << result.output;
}

}  // namespace
}  // namespace stagehand::hooks_test
