// after-install --dry-run says which memory figures the gate would read and why (the memory
// source's choice and its reason), in text and in JSON, so a wait "for memory" on a host that
// seems to have it can be explained before a deployment.

#include <nlohmann/json.hpp>

#include "hook_fixture.hpp"

namespace stagehand::hooks_test {
namespace {

class HookPlanTest : public HookTest {};

TEST_F(HookPlanTest, DryRunNamesTheMemorySourceAndWhy) {
    write_config("startup:\n  memory_source: meminfo\n");
    const auto text = run("after-install", {"--dry-run"});
    EXPECT_EQ(text.status, 0) << text.output;
    EXPECT_TRUE(text.has_line_containing("memory_source: meminfo (memory_source: meminfo)"))
        << text.output;

    const auto json = run("after-install", {"--dry-run", "--log-format", "json"});
    ASSERT_EQ(json.status, 0) << json.output;
    ASSERT_FALSE(json.lines.empty());
    const auto plan = nlohmann::json::parse(json.lines.back(), nullptr, false);
    ASSERT_TRUE(plan.is_object()) << json.output;
    EXPECT_EQ(plan["startup"].value("memory_source", ""), "meminfo (memory_source: meminfo)")
        << json.output;
}

TEST_F(HookPlanTest, DryRunExplainsTheAutomaticChoice) {
    write_config();  // memory_source: auto
    const auto text = run("after-install", {"--dry-run"});
    EXPECT_EQ(text.status, 0) << text.output;
    // Either a cgroup that limits stagehand below MemTotal, or meminfo with the reason why
    // not; which one depends on the machine the test runs on.
    const int line = text.line_index("memory_source: ");
    ASSERT_GE(line, 0) << text.output;
    const std::string& chosen = text.lines[static_cast<std::size_t>(line)];
    const bool cgroup = chosen.find("memory_source: cgroup v") != std::string::npos &&
                        chosen.find("(stagehand's cgroup: limit ") != std::string::npos;
    const bool meminfo = chosen.find("memory_source: meminfo (") != std::string::npos;
    EXPECT_TRUE(cgroup || meminfo) << chosen;
}

}  // namespace
}  // namespace stagehand::hooks_test
