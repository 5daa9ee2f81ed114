// The Docker daemon stops while after-install starts the services. The shared daemon is never
// touched: the test starts a private dockerd (own socket, data-root, exec-root, pidfile; the
// flags of rig/world.sh), points the hook at it with DOCKER_HOST, lets after-install pull the
// images into it from the registry, and stops it while the first service is still starting.

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

class DaemonTest : public StackTest {};

TEST_F(DaemonTest, DaemonStoppingMidStartIsDiagnosedNotAHang) {
    SecondDaemon daemon(m_dir / "dockerd");
    ASSERT_EQ(daemon.start(), "");
    m_other_daemons.push_back(daemon.cli());
    // rabbitmq needs ~8 s to become ready: the daemon goes away while it starts.
    auto slow = service("rabbitmq", standin_image("rabbitmq"), free_port(),
                        {"--peak-mib", "24", "--ramp-s", "8"});
    auto next = service("zookeeper", standin_image("zookeeper"), free_port(), {"--peak-mib", "16"});
    const fs::path rev = bundle(stack({slow, next}), "rev");
    auto args = hook_args(rev, "AfterInstall");
    args.timeout_s = 90;  // a hang would end as the agent's timeout: error 3
    args.env = daemon.cli().env();
    Child hook_child = m_sim.start_hook(args);

    // The image came from the registry into the private daemon, and the container runs there.
    const DockerCli cli = daemon.cli();
    ASSERT_TRUE(wait_for(
        [&] {
            const auto c = cli.service_container(m_project, "rabbitmq");
            return c.running;
        },
        seconds(60)))
        << "rabbitmq never ran in the private daemon:\n"
        << Sim::finish(hook_child, milliseconds(1000)).dump();
    EXPECT_TRUE(m_docker.project_containers(m_project).empty())
        << "the hook (or compose) used the shared daemon despite DOCKER_HOST";

    const auto stopped_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(daemon.stop()) << "the private dockerd did not stop";
    const auto run = Sim::finish(hook_child, milliseconds(120000));
    const auto took = std::chrono::steady_clock::now() - stopped_at;

    const auto& hook = run.only_hook();
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 1) << run.dump();
    EXPECT_EQ(hook.value("agent_error_code", -1), 4) << "not a clean failure:\n" << run.dump();
    EXPECT_LT(took, seconds(30)) << "the hook took that long to notice the daemon was gone";
    RecordProperty("seconds_from_daemon_stop_to_exit",
                   std::to_string(std::chrono::duration<double>(took).count()));
    const std::string verdict = verdict_of(hook);
    EXPECT_EQ(verdict.rfind("FAILED", 0), 0u) << hook.value("tail", "");
    EXPECT_NE(lower(verdict).find("docker"), std::string::npos)
        << "the verdict does not say the Docker daemon is the cause:\n"
        << hook.value("tail", "");
    EXPECT_TRUE(report(args.deployment_id).is_object());
}

// Seconds since midnight of each "HH:MM:SS " line of a log file (other lines are skipped).
std::vector<int> line_times(const std::string& log) {
    std::vector<int> times;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        int h = 0;
        int m = 0;
        int sec = 0;
        if (line.size() > 9 && line[2] == ':' && line[5] == ':' &&
            std::sscanf(line.c_str(), "%2d:%2d:%2d ", &h, &m, &sec) == 3) {
            times.push_back(h * 3600 + m * 60 + sec);
        }
    }
    return times;
}

// Issue 13 item 8: a frozen daemon (SIGSTOP: the socket still accepts, nothing answers)
// stalled after-install without a line for 55-90 s and then blamed the service being awaited.
TEST_F(DaemonTest, FrozenDaemonMidStartIsNamedWhileProgressContinues) {
    SecondDaemon daemon(m_dir / "dockerd");
    ASSERT_EQ(daemon.start(), "");
    m_other_daemons.push_back(daemon.cli());
    auto slow = service("rabbitmq", standin_image("rabbitmq"), free_port(),
                        {"--peak-mib", "24", "--ramp-s", "8"});
    auto next = service("zookeeper", standin_image("zookeeper"), free_port(), {"--peak-mib", "16"});
    auto spec = stack({slow, next});
    spec.startup_timeout = "15s";
    const fs::path rev = bundle(spec, "rev");
    auto args = hook_args(rev, "AfterInstall");
    args.timeout_s = 120;
    args.env = daemon.cli().env();
    Child hook_child = m_sim.start_hook(args);
    const DockerCli cli = daemon.cli();
    ASSERT_TRUE(
        wait_for([&] { return cli.service_container(m_project, "rabbitmq").running; }, seconds(60)))
        << Sim::finish(hook_child, milliseconds(1000)).dump();

    const auto frozen_at = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(daemon.pid(), SIGSTOP), 0);
    const auto run = Sim::finish(hook_child, milliseconds(120000));
    const auto took = std::chrono::steady_clock::now() - frozen_at;
    ::kill(daemon.pid(), SIGCONT);  // TearDown removes the containers through it

    const auto& hook = run.only_hook();
    expect_clean_hook(hook);
    EXPECT_EQ(hook.value("exit_code", -1), 1) << run.dump();
    EXPECT_LT(took, seconds(30)) << run.dump();
    const std::string socket = daemon.host().substr(std::string("unix://").size());
    const std::string verdict = verdict_of(hook);
    EXPECT_EQ(verdict.rfind("FAILED: Docker daemon at " + socket + " did not answer for 10s", 0),
              0u)
        << hook.value("tail", "");
    EXPECT_EQ(verdict.find("not ready"), std::string::npos) << verdict;
    // SPEC section 2: progress at most 5 s apart (the log's times have 1 s resolution).
    const std::string log = log_file(args.deployment_id);
    const auto times = line_times(log);
    ASSERT_GE(times.size(), 3u) << log;
    for (std::size_t i = 1; i < times.size(); ++i) {
        EXPECT_LE(times[i] - times[i - 1], 6)
            << "a silence of " << times[i] - times[i - 1] << " s in:\n"
            << log;
    }
}

}  // namespace
}  // namespace stagehand::integration
