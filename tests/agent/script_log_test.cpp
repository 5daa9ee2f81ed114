// The agent's tail rules (ScriptLog#append_to_log) and the UTF-8 checks behind them.

#include "sim/script_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stagehand::agent {
namespace {

std::string entry_of(std::size_t chars, char fill = 'x') {
    return "[stdout]" + std::string(chars - 9, fill) + "\n";  // "[stdout]" + text + "\n"
}

ScriptLog log_of(const std::vector<std::string>& entries) {
    ScriptLog log;
    for (const auto& e : entries) {
        log.append(e);
    }
    return log;
}

TEST(ScriptLogTest, KeepsEverythingWhileSmall) {
    const ScriptLog log =
        log_of({"LifecycleEvent - BeforeInstall\n", "Script - hooks/x\n", "[stdout]hi\n"});
    EXPECT_EQ(log.joined(), "LifecycleEvent - BeforeInstall\nScript - hooks/x\n[stdout]hi\n");
}

TEST(ScriptLogTest, KeepsWholeNewestEntriesOfUniformLines) {
    // 50-character entries: the agent keeps 40 of them (2000 characters), never a partial one.
    std::vector<std::string> entries;
    for (int i = 0; i < 100; ++i) {
        std::string text = std::to_string(1000 + i);
        entries.push_back("[stdout]" + text + std::string(50 - 9 - text.size(), '.') + "\n");
    }
    const ScriptLog log = log_of(entries);
    const auto kept = log.entries();
    ASSERT_EQ(kept.size(), 40u);
    EXPECT_EQ(kept.front(), entries[60]);
    EXPECT_EQ(kept.back(), entries[99]);
    EXPECT_EQ(log.joined().size(), 2000u);
}

struct PruneCase {
    const char* name;
    std::vector<std::size_t> lengths;  // entry lengths in characters, oldest first
    std::size_t kept;                  // entries the agent keeps
};

class ScriptLogPruneTest : public ::testing::TestWithParam<PruneCase> {};

TEST_P(ScriptLogPruneTest, KeepsWhatTheAgentKeeps) {
    std::vector<std::string> entries;
    for (std::size_t length : GetParam().lengths) {
        entries.push_back(entry_of(length));
    }
    const auto kept = log_of(entries).entries();
    ASSERT_EQ(kept.size(), GetParam().kept);
    for (std::size_t i = 0; i < kept.size(); ++i) {
        EXPECT_EQ(kept[i], entries[entries.size() - kept.size() + i]);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScriptLogPruneTest,
    ::testing::Values(
        // The newest entry alone at 2048 characters or more empties the tail.
        PruneCase{"newest_2048_empties", {10, 10, 2048}, 0},
        PruneCase{"newest_5000_empties", {10, 5000}, 0}, PruneCase{"newest_2047_kept", {2047}, 1},
        // The agent's off-by-one: older entries count twice, the newest only against itself,
        // so 2047 + 1000 characters are kept together but 2047 + 1024 are not.
        PruneCase{"double_count_keeps", {1000, 2047}, 2},
        PruneCase{"double_count_drops", {1024, 2047}, 1},
        // A long line earlier scrolls out once enough newer lines follow.
        PruneCase{"long_line_scrolls_out", {3000, 100, 100, 100}, 3},
        PruneCase{"long_line_then_small", {3000, 20}, 1}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ScriptLogTest, CountsCharactersNotBytes) {
    // Two entries of 1000 two-byte characters: 1009 characters (2009 bytes) each. Counted in
    // characters both fit (2048 - 2 * 1009 > 0); counted in bytes only the newest would.
    std::string text;
    for (int i = 0; i < 1000; ++i) {
        text += "\xc3\xa9";  // é
    }
    const std::string entry = "[stdout]" + text + "\n";
    EXPECT_EQ(ruby_length(entry), 1009u);
    EXPECT_EQ(log_of({entry, entry}).entries().size(), 2u);
}

struct Utf8Case {
    const char* name;
    std::string text;
    bool valid;
    std::size_t length;
};

class Utf8Test : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Test, MatchesRuby) {
    EXPECT_EQ(is_valid_utf8(GetParam().text), GetParam().valid);
    EXPECT_EQ(ruby_length(GetParam().text), GetParam().length);
}

INSTANTIATE_TEST_SUITE_P(Cases, Utf8Test,
                         ::testing::Values(Utf8Case{"empty", "", true, 0},
                                           Utf8Case{"ascii", "abc", true, 3},
                                           Utf8Case{"two_byte", "h\xc3\xa9", true, 2},
                                           Utf8Case{"three_byte", "\xe2\x82\xac", true, 1},
                                           Utf8Case{"four_byte", "\xf0\x9f\x98\x80", true, 1},
                                           Utf8Case{"latin1_byte", "caf\xe9", false, 4},
                                           Utf8Case{"overlong", "\xc0\xaf", false, 2},
                                           Utf8Case{"surrogate", "\xed\xa0\x80", false, 3},
                                           Utf8Case{"past_max", "\xf4\x90\x80\x80", false, 4},
                                           Utf8Case{"truncated", "\xe2\x82", false, 2},
                                           Utf8Case{"lone_continuation", "a\x80z", false, 3}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(ScriptLogTest, InvalidUtf8ReplacesTheTailWithTheAgentsFallback) {
    const ScriptLog log = log_of({"Script - hooks/x\n", "[stdout]caf\xe9\n", "[stdout]ok\n"});
    EXPECT_FALSE(log.all_valid_utf8());
    EXPECT_EQ(
        console_tail(log, "hooks/x"),
        R"({"error_code":"Unknown","script_name":"hooks/x","message":"Attempting minimal diagnostics","log":"Exception JSON::GeneratorError occured"})");
    EXPECT_EQ(diagnostic_payload(4, "hooks/x", "failed", log)["error_code"], "Unknown");
}

TEST(ScriptLogTest, InvalidLineThatScrolledOutNoLongerMatters) {
    std::vector<std::string> entries{"[stdout]caf\xe9\n"};
    for (int i = 0; i < 60; ++i) {
        entries.push_back(entry_of(50));
    }
    const ScriptLog log = log_of(entries);
    EXPECT_TRUE(log.all_valid_utf8());
    EXPECT_EQ(console_tail(log, "hooks/x"), log.joined());
}

TEST(ScriptLogTest, DiagnosticKeysInRubyOrder) {
    const ScriptLog log = log_of({"[stderr]boom\n"});
    EXPECT_EQ(
        diagnostic_payload(4, "hooks/x", "failed with exit code 1", log).dump(),
        R"({"error_code":4,"script_name":"hooks/x","message":"failed with exit code 1","log":"[stderr]boom\n"})");
}

TEST(ScriptLogTest, TimestampHasTheAgentsShape) {
    const std::string stamp = agent_timestamp(std::chrono::system_clock::now());
    ASSERT_EQ(stamp.size(), 19u);
    EXPECT_EQ(stamp[4], '-');
    EXPECT_EQ(stamp[10], ' ');
    EXPECT_EQ(stamp[13], ':');
}

}  // namespace
}  // namespace stagehand::agent
