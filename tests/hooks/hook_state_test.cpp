// state_dir and log_dir in trouble, seen from the console (SPEC section 2; issue 13 item 10):
// a full state_dir and a read-only log_dir are reported with the errno they had, before the
// verdict, which stays the last line -- for each hook.

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

}  // namespace
}  // namespace stagehand::hooks_test
