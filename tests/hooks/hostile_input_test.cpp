// Hostile input reaches the console sanitised (SPEC section 2, Output; issue 13 item 11): a
// compose service key with a newline forges no line, a binary or invalid UTF-8 line in an
// input file keeps every output line valid UTF-8 without control characters, and --dry-run
// prints hostile values (text and JSON) the same way -- for each hook.

#include <nlohmann/json.hpp>

#include "hook_fixture.hpp"

namespace stagehand::hooks_test {
namespace {

class HostileInputTest : public HookTest {
  protected:
    // Every hook refuses the bundle with exit 2 and clean output; returns their runs.
    std::vector<HookRun> expect_refused_by_every_hook() {
        std::vector<HookRun> runs;
        for (const auto& hook : k_hooks) {
            SCOPED_TRACE(hook);
            auto result = run(hook);
            EXPECT_EQ(result.status, 2) << result.output;
            expect_clean_output(result);
            EXPECT_NE(result.last_line().find("invalid input, nothing was changed (exit 2)"),
                      std::string::npos)
                << result.output;
            runs.push_back(std::move(result));
        }
        return runs;
    }
};

TEST_F(HostileInputTest, NewlineInAServiceKeyForgesNoVerdictLine) {
    write_bundle_file("docker-compose.yml",
                      "services:\n  \"a\\nFAILED: fake verdict\":\n    image: nginx:1\n");
    for (const auto& result : expect_refused_by_every_hook()) {
        for (const auto& line : result.lines) {
            EXPECT_NE(line.rfind("FAILED: fake verdict", 0), 0u) << result.output;
        }
        // Refused at load time, naming where: compose would refuse the name too.
        EXPECT_TRUE(result.has_line_containing("docker-compose.yml:2:3: error:")) << result.output;
        EXPECT_TRUE(result.has_line_containing("invalid service name")) << result.output;
    }
}

TEST_F(HostileInputTest, ControlCharactersInAServiceNameAreRefusedWhereTheyAre) {
    write_bundle_file("docker-compose.yml",
                      "services:\n  web:\n    image: nginx:1\n  \"w\\e[2Jo\\trk\\x01\":\n"
                      "    image: nginx:1\n");
    for (const auto& result : expect_refused_by_every_hook()) {
        EXPECT_TRUE(result.has_line_containing("docker-compose.yml:4:3: error:")) << result.output;
        EXPECT_TRUE(result.has_line_containing("invalid service name")) << result.output;
    }
}

TEST_F(HostileInputTest, InvalidUtf8ServiceNameKeepsTheOutputValid) {
    write_bundle_file("docker-compose.yml", "services:\n  caf\xe9\xff:\n    image: nginx:1\n");
    for (const auto& result : expect_refused_by_every_hook()) {
        EXPECT_TRUE(result.has_line_containing("docker-compose.yml:2:3: error:")) << result.output;
    }
}

TEST_F(HostileInputTest, BinaryLineInTheConfigKeepsTheOutputValid) {
    write_config(std::string("startup:\n  gate: \"fa\x01\x1b]0;title\x07st\xff\xfe\x80\"\n"));
    for (const auto& result : expect_refused_by_every_hook()) {
        EXPECT_TRUE(result.has_line_containing("stagehand.yml:5:9: error: startup.gate"))
            << result.output;
    }
}

TEST_F(HostileInputTest, NulInTheConfigKeepsTheOutputValid) {
    write_config(std::string("startup:\n  gate: fa\0st\n", 23));
    for (const auto& result : expect_refused_by_every_hook()) {
        EXPECT_TRUE(result.has_line_containing("stagehand.yml:")) << result.output;
    }
}

// Values that pass validation but hold hostile bytes: the bundle's folder name (an escape
// sequence, a control character, invalid UTF-8) and a staged file's destination (invalid
// UTF-8, which Linux allows in a path), echoed by the plan.
TEST_F(HostileInputTest, DryRunPrintsHostileValuesSanitised) {
    const fs::path hostile = m_dir / "bundle-\x1b[31m\x01\xff\xfe\xc2\x85x";
    fs::rename(m_bundle, hostile);
    m_bundle = hostile;
    write_bundle_file("docker-compose.yml", "name: app\nservices:\n  web:\n    image: nginx:1\n");
    write_bundle_file("deploy/a.conf", "a\n");
    write_config("stage:\n  files:\n    - source: deploy/a.conf\n      destination: \"" +
                 (m_dir / "conf").string() + "/a\xff\xfe.conf\"\n");
    for (const auto& hook : k_hooks) {
        SCOPED_TRACE(hook);
        const auto text = run(hook, {"--dry-run"});
        EXPECT_EQ(text.status, 0) << text.output;
        expect_clean_lines(text);  // a plan has no verdict
        EXPECT_TRUE(text.has_line_containing("bundle-\xEF\xBF\xBD")) << text.output;
        const auto json = run(hook, {"--dry-run", "--log-format", "json"});
        EXPECT_EQ(json.status, 0) << json.output;
        for (const auto& line : json.lines) {
            EXPECT_TRUE(valid_utf8(line)) << ::testing::PrintToString(line);
            EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
        }
    }
}

TEST_F(HostileInputTest, InvalidImageReferenceIsRefusedWhereItIs) {
    write_bundle_file("docker-compose.yml",
                      "services:\n  web:\n    image: \"ng\\e[31mred\\x01\xff\xfe\"\n");
    for (const auto& result : expect_refused_by_every_hook()) {
        EXPECT_TRUE(
            result.has_line_containing("docker-compose.yml:3:12: error: services.web.image"))
            << result.output;
    }
}

// DEPLOYMENT_ID comes from the environment: it names the log file and goes into the lock
// file, the report and the output.
TEST_F(HostileInputTest, HostileDeploymentIdStaysInItsPlace) {
    m_deployment_id = "../escaped-\xff\x1b[2J";
    const auto result = run("before-install");
    EXPECT_EQ(result.status, 0) << result.output;
    expect_clean_output(result);
    EXPECT_FALSE(fs::exists(m_dir / "escaped-\xff\x1b[2J.log"));
    std::size_t logs = 0;
    for (const auto& entry : fs::directory_iterator(m_log)) {
        EXPECT_TRUE(valid_utf8(entry.path().filename().string())) << entry.path();
        ++logs;
    }
    EXPECT_EQ(logs, 1u);
    for (const auto& entry : fs::directory_iterator(m_state / "reports")) {
        EXPECT_FALSE(nlohmann::json::parse(read_file(entry.path()), nullptr, false).is_discarded());
    }
}

}  // namespace
}  // namespace stagehand::hooks_test
