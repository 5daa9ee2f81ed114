#pragma once
// A StackTest with a t2.micro cgroup of its own (rig/t2micro.sh, 1024 MiB / 1 CPU, named after
// the test's project), so a test that fills the shared limit or measures it is alone in it.
// Removed after the containers, which must leave it first.

#include <string>

#include "support/stack_test.hpp"

namespace stagehand::integration {

class PrivateT2microTest : public StackTest {
  protected:
    void SetUp() override {
        StackTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) {
            return;
        }
        m_cgroup = "stagehand-it-" + m_project;
        const auto created = t2micro("create");
        ASSERT_TRUE(created.ok()) << created.describe();
        const auto path = t2micro("path");
        ASSERT_TRUE(path.ok()) << path.describe();
        m_cgroup_dir = path.out.substr(0, path.out.find('\n'));
    }

    void TearDown() override {
        StackTest::TearDown();  // removes the containers first: the cgroup must be empty
        if (!m_cgroup.empty()) {
            const auto destroyed = t2micro("destroy");
            EXPECT_TRUE(destroyed.ok()) << destroyed.describe();
        }
    }

    CommandResult t2micro(const std::string& verb) const {
        return run_command({std::string(STAGEHAND_SOURCE_DIR) + "/rig/t2micro.sh", verb},
                           Millis(60000), {"STAGEHAND_T2MICRO_NAME=" + m_cgroup});
    }

    std::string m_cgroup;      // its name, for cgroup_parent: /<name>
    std::string m_cgroup_dir;  // its folder on this host, for memory_source: cgroup:<folder>
};

}  // namespace stagehand::integration
