// The rig's own case of an OOM kill (SPEC section 5): services under a shared parent cgroup
// with a 1 GiB limit (cgroup_parent, made by rig/t2micro.sh) and no limits of their own; one
// outgrows the parent's limit. On cgroup v1 the kernel counts the kill only at the victim's own
// cgroup, which Docker removes before it reports the death, and Docker 20.10 flags every
// container under the parent OOMKilled: the verdict must still name the victim and the
// parent's limit, and not the bystander that keeps running.

#include "support/private_t2micro.hpp"

namespace stagehand::integration {
namespace {

using ParentLimitOomTest = PrivateT2microTest;

TEST_F(ParentLimitOomTest, VictimIsNamedWithTheParentsLimit) {
    auto bystander = service("rabbitmq", standin_image("rabbitmq"), free_port(),
                             {"--peak-mib", "24", "--steady-mib", "16", "--ramp-s", "0.3"});
    // 1300 MiB over 10 s: past the parent's 1 GiB at about 8 s, long after after-install
    // read its cgroup.
    auto hungry = service("zookeeper", standin_image("zookeeper"), free_port(),
                          {"--peak-mib", "1300", "--steady-mib", "1200", "--ramp-s", "10"});
    bystander.compose_extra = {"cgroup_parent: /" + m_cgroup};
    hungry.compose_extra = {"cgroup_parent: /" + m_cgroup};
    hungry.depends_on = {"rabbitmq"};
    const auto run = deploy(bundle(stack({bystander, hungry}), "rev"));
    const auto hook = run.hook("AfterInstall");
    const std::string tail = hook.value("tail", "");
    EXPECT_EQ(hook.value("exit_code", -1), 1) << tail;
    EXPECT_EQ(verdict_of(hook),
              "FAILED: zookeeper was killed by the kernel's OOM killer (the limit of its parent "
              "cgroup /" +
                  m_cgroup + ": 1024 MiB)")
        << tail;
    const auto killed = m_docker.service_container(m_project, "zookeeper");
    EXPECT_EQ(killed.exit_code, 137);
    const auto survivor = m_docker.service_container(m_project, "rabbitmq");
    EXPECT_TRUE(survivor.running) << survivor.status;
}

}  // namespace
}  // namespace stagehand::integration
