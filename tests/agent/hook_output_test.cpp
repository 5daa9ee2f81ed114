// The console tail of a real hook run: ~2048 characters of whole entries, empty when the newest
// line is too long, replaced by the agent's JSON error when a kept line is invalid UTF-8.

#include <gtest/gtest.h>

#include "support/sim_process.hpp"

namespace stagehand::agent::sim_test {
namespace {

class HookOutputTest : public ::testing::Test {
  protected:
    SimRun hook(const std::string& body) {
        const fs::path path = write_script(m_dir / "hook", body);
        return run_sim({"hook", "--script", path.string(), "--event", "ValidateService",
                        "--location", "hooks/validate-service"});
    }

    TempDir m_dir;
};

TEST_F(HookOutputTest, TailIsTheNewestWholeEntries) {
    // 100 lines "line-NNN" padded to 41 characters: entries of 50 ("[stdout]" + 41 + "\n"),
    // of which the agent keeps 40.
    const std::string dots(33, '.');
    const SimRun run = hook("i=100; while [ $i -lt 200 ]; do printf 'line-%d%s\\n' $i '" + dots +
                            "'; i=$((i+1)); done; exit 1\n");
    const auto& r = run.last();
    EXPECT_EQ(r["lines"], 100);
    const std::string tail = r["tail"];
    EXPECT_EQ(tail.size(), 2000u);
    EXPECT_EQ(tail.rfind("[stdout]line-160", 0), 0u) << tail.substr(0, 80);
    EXPECT_TRUE(tail.ends_with("[stdout]line-199" + dots + "\n"));
    EXPECT_EQ(r["diagnostic"]["log"], tail);
}

TEST_F(HookOutputTest, OverLongNewestLineLeavesTheTailEmpty) {
    const SimRun run =
        hook("echo 'the decisive message'\nhead -c 3000 /dev/zero | tr '\\0' x\necho\nexit 1\n");
    EXPECT_EQ(run.last()["lines"], 2);
    EXPECT_EQ(run.last()["tail"], "");
    EXPECT_EQ(run.last()["diagnostic"]["log"], "");
}

TEST_F(HookOutputTest, ShortLineAfterALongOneIsKept) {
    const SimRun run = hook("head -c 3000 /dev/zero | tr '\\0' x\necho\necho verdict\nexit 1\n");
    EXPECT_EQ(run.last()["tail"], "[stdout]verdict\n");
}

TEST_F(HookOutputTest, UnterminatedLastLineIsItsOwnEntry) {
    const SimRun run = hook("printf 'a\\nno-newline'\n");
    const std::string tail = run.last()["tail"];
    EXPECT_TRUE(tail.ends_with("[stdout]a\n[stdout]no-newline")) << tail;
}

TEST_F(HookOutputTest, InvalidUtf8ReplacesTheWholeDiagnostic) {
    const SimRun run = hook("printf 'caf\\351\\n'\necho 'real cause'\nexit 1\n");
    const auto& r = run.last();
    EXPECT_FALSE(r["utf8_valid"].get<bool>());
    EXPECT_EQ(
        r["tail"],
        R"({"error_code":"Unknown","script_name":"hooks/validate-service","message":"Attempting minimal diagnostics","log":"Exception JSON::GeneratorError occured"})");
    EXPECT_EQ(r["diagnostic"]["error_code"], "Unknown");
    EXPECT_EQ(r["agent_error_code"],
              4);  // the event still failed with 4; only the console text is lost
}

TEST_F(HookOutputTest, ValidUtf8IsKeptAsIs) {
    const SimRun run = hook("echo 'caf\xc3\xa9 \xe2\x9c\x93'\n");
    EXPECT_TRUE(run.last()["utf8_valid"].get<bool>());
    EXPECT_NE(run.last()["tail"].get<std::string>().find("[stdout]caf\xc3\xa9 \xe2\x9c\x93\n"),
              std::string::npos);
}

}  // namespace
}  // namespace stagehand::agent::sim_test
