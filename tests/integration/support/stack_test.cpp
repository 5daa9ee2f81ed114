#include "support/stack_test.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/proc.hpp"

namespace stagehand::integration {

namespace {

bool docker_tests_enabled() {
    const char* value = std::getenv("STAGEHAND_DOCKER_TESTS");
    return value != nullptr && std::string(value) == "1";
}

// True when nothing listens on port (0.0.0.0, where the stand-ins bind).
bool port_free(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return free;
}

}  // namespace

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool wait_for(const std::function<bool()>& pred, Millis limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(Millis(50));
    }
    return true;
}

std::vector<std::string> compose_generations() {
    return {"docker compose", "docker-compose"};
}

std::string generation_name(const ::testing::TestParamInfo<std::string>& info) {
    return info.param == "docker-compose" ? "v1" : "v2";
}

void StackTest::SetUp() {
    if (!docker_tests_enabled()) {
        GTEST_SKIP() << "set STAGEHAND_DOCKER_TESTS=1 (rig/test-all.sh does, after rig/world.sh "
                        "up) to run the integration tests";
    }
    // With the tests enabled, a missing daemon is a failure, not a reason to skip.
    ASSERT_TRUE(m_docker.answers()) << "STAGEHAND_DOCKER_TESTS=1 but `docker info` fails";
    std::string pattern = (fs::temp_directory_path() / "stagehand-it-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    m_dir = pattern;
    fs::permissions(m_dir, fs::perms(0755));
    static int counter = 0;
    m_project = "it" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    m_projects.push_back(m_project);
    m_sim = Sim(STAGEHAND_CODEDEPLOY_SIM);
}

void StackTest::TearDown() {
    if (m_dir.empty()) {
        return;  // skipped
    }
    for (const auto& project : m_projects) {
        EXPECT_EQ(m_docker.remove_project(project), "") << project;
        for (const auto& other : m_other_daemons) {
            other.remove_project(project);
        }
    }
    // A hook and the compose processes it started must all be gone once the agent has its
    // result (SPEC: no background process may outlive the run).
    std::vector<ProcessInfo> left;
    wait_for(
        [&] {
            left = processes_mentioning(m_dir.string());
            for (const auto& project : m_projects) {
                const auto more = processes_mentioning(" " + project + " ");
                left.insert(left.end(), more.begin(), more.end());
            }
            return left.empty();
        },
        Millis(3000));
    EXPECT_TRUE(left.empty()) << "processes of this test still running:\n" << describe(left);
    expect_state_intact();
    const char* keep = std::getenv("STAGEHAND_IT_KEEP");
    if (!HasFailure() && (keep == nullptr || std::string(keep) != "1")) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    } else {
        std::cerr << "kept " << m_dir << " for inspection\n";
    }
}

StackSpec StackTest::stack(std::vector<ServiceSpec> services, const std::string& suffix) {
    StackSpec spec;
    spec.project = m_project + suffix;
    if (std::find(m_projects.begin(), m_projects.end(), spec.project) == m_projects.end()) {
        m_projects.push_back(spec.project);
    }
    spec.compose_command = m_compose_command;
    spec.services = std::move(services);
    spec.state_dir = m_dir / "state";
    spec.log_dir = m_dir / "log";
    spec.install_dir = m_dir / "installed" / spec.project;
    return spec;
}

fs::path StackTest::bundle(const StackSpec& spec, const std::string& name) {
    return write_bundle(m_dir / name, spec, HookBinaries{STAGEHAND_HOOK_DIR});
}

SimResult StackTest::deploy(const fs::path& bundle_dir, const std::vector<std::string>& env) {
    DeployArgs args;
    args.bundle = bundle_dir;
    args.root = m_dir / "agent";
    args.application = m_project;
    args.env = env;
    return m_sim.deploy(args);
}

HookArgs StackTest::hook_args(const fs::path& bundle_dir, const std::string& event) {
    static const std::map<std::string, std::string> k_files{
        {"BeforeInstall", "before-install"},
        {"AfterInstall", "after-install"},
        {"ValidateService", "validate-service"}};
    HookArgs args;
    args.script = bundle_dir / "hooks" / k_files.at(event);
    args.event = event;
    args.deployment_id =
        "d-IT" + std::to_string(::getpid()) + "X" + std::to_string(++m_deployments);
    return args;
}

int StackTest::free_port() {
    static std::mt19937 random(static_cast<unsigned>(::getpid()));
    std::uniform_int_distribution<int> pick(20000, 29999);
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int port = pick(random);
        if (m_ports.count(port) == 0 && port_free(port)) {
            m_ports.insert(port);
            return port;
        }
    }
    ADD_FAILURE() << "no free port found";
    return 0;
}

void StackTest::expect_clean_hook(const nlohmann::json& hook) const {
    ASSERT_TRUE(hook.is_object() && hook.value("type", "") == "hook") << hook.dump();
    const std::string event = hook.value("event", "?");
    EXPECT_TRUE(hook.value("utf8_valid", false)) << event << ": output is not valid UTF-8";
    EXPECT_FALSE(hook.value("outputs_left_open", true)) << event;
    EXPECT_FALSE(hook.value("sigkill_sent", true)) << event << ": needed SIGKILL";
    EXPECT_FALSE(hook.value("hard_killed", true)) << event << ": needed SIGKILL";
    EXPECT_EQ(hook.value("leftover_processes", -1), 0)
        << event << ": processes of the hook's group outlived it";
    const std::string tail = hook.value("tail", "");
    EXPECT_FALSE(tail.empty()) << event << ": the agent would show nothing";
    std::istringstream lines(tail);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_LT(line.size(), 1024u) << event << ": line of " << line.size() << " bytes";
    }
}

std::string StackTest::expect_deployed(const SimResult& run) {
    const auto& summary = run.summary();
    if (run.run.status != 0 || summary.value("status", "") != "Succeeded") {
        ADD_FAILURE() << "the deployment failed:\n" << run.dump();
        return summary.value("deployment_id", "");
    }
    std::vector<std::string> events;
    for (const auto& hook : run.hooks()) {
        events.push_back(hook.value("event", ""));
        expect_clean_hook(hook);
        EXPECT_EQ(hook.value("exit_code", -1), 0) << hook.value("tail", "");
        EXPECT_EQ(hook.value("agent_error_code", -1), 0) << hook.value("tail", "");
        EXPECT_EQ(verdict_of(hook).rfind("OK", 0), 0u) << hook.value("tail", "");
    }
    EXPECT_EQ(events,
              (std::vector<std::string>{"BeforeInstall", "AfterInstall", "ValidateService"}));
    const std::string id = summary.value("deployment_id", "");
    const auto written = report(id);
    EXPECT_TRUE(written.is_object()) << "no report for " << id;
    if (written.is_object()) {
        for (const char* hook : {"before-install", "after-install", "validate-service"}) {
            EXPECT_EQ(written["hooks"][hook].value("outcome", ""), "succeeded") << hook;
        }
    }
    const std::string log = log_file(id);
    for (const auto& hook : run.hooks()) {
        EXPECT_NE(log.find(verdict_of(hook)), std::string::npos)
            << "log file of " << id << " lacks the verdict " << verdict_of(hook);
    }
    return id;
}

void StackTest::expect_state_intact() const {
    const fs::path state = m_dir / "state";
    std::error_code ec;
    if (!fs::exists(state, ec)) {
        return;
    }
    for (const auto& entry : fs::recursive_directory_iterator(state, ec)) {
        const std::string name = entry.path().filename().string();
        EXPECT_EQ(name.find(".stagehand-tmp-"), std::string::npos)
            << "temporary file left: " << entry.path();
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
            const auto json = nlohmann::json::parse(read_text(entry.path()), nullptr, false);
            EXPECT_TRUE(json.is_object()) << entry.path() << " is not a JSON object:\n"
                                          << read_text(entry.path()).substr(0, 500);
        }
    }
}

nlohmann::json StackTest::report(const std::string& deployment_id) const {
    return nlohmann::json::parse(read_text(m_dir / "state" / "reports" / (deployment_id + ".json")),
                                 nullptr, false);
}

std::string StackTest::log_file(const std::string& deployment_id) const {
    return read_text(m_dir / "log" / (deployment_id + ".log"));
}

}  // namespace stagehand::integration
