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

TEST_F(HostileInputTest, DryRunPrintsHostileValuesSanitised) {
    write_bundle_file("docker-compose.yml",
                      "services:\n  web:\n    image: \"ng\\e[31mred\\x01\xff\xfe\\u0085x\"\n");
    for (const auto& hook : k_hooks) {
        SCOPED_TRACE(hook);
        auto text = run(hook, {"--dry-run"});
        EXPECT_EQ(text.status, 0) << text.output;
        expect_clean_lines(text);  // a plan has no verdict
        const auto json = run(hook, {"--dry-run", "--log-format", "json"});
        EXPECT_EQ(json.status, 0) << json.output;
        for (const auto& line : json.lines) {
            EXPECT_TRUE(valid_utf8(line)) << ::testing::PrintToString(line);
            EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
        }
    }
}

}  // namespace
}  // namespace stagehand::hooks_test
