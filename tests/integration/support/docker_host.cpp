#include "support/docker_host.hpp"

#include <signal.h>
#include <sys/mount.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/command.hpp"
#include "support/proc.hpp"

namespace stagehand::integration {

namespace {

constexpr Millis k_cli_limit{60000};

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string word; in >> word;) {
        out.push_back(word);
    }
    return out;
}

Container from_inspect(const nlohmann::json& j) {
    Container c;
    c.id = j.value("Id", "");
    const auto& config = j.value("Config", nlohmann::json::object());
    const auto& labels = config.value("Labels", nlohmann::json::object());
    if (labels.is_object()) {
        c.service = labels.value("com.docker.compose.service", "");
    }
    c.image = config.value("Image", "");
    c.image_id = j.value("Image", "");
    const auto& state = j.value("State", nlohmann::json::object());
    c.status = state.value("Status", "");
    c.running = state.value("Running", false);
    c.exit_code = state.value("ExitCode", 0);
    c.oom_killed = state.value("OOMKilled", false);
    c.started_at = state.value("StartedAt", "");
    c.finished_at = state.value("FinishedAt", "");
    c.restarts = j.value("RestartCount", 0);
    return c;
}

// The flags rig/world.sh starts the shared daemon with (host networking only, vfs storage,
// cgroupfs driver).
const char* const k_dockerd_flags[] = {"--iptables=false", "--ip6tables=false", "--bridge=none",
                                       "--storage-driver=vfs",
                                       "--exec-opt=native.cgroupdriver=cgroupfs"};

// Unmounts whatever a dead daemon left mounted below dir, deepest first.
void unmount_below(const fs::path& dir) {
    std::ifstream mounts("/proc/mounts");
    std::vector<std::string> targets;
    for (std::string device, target, rest;
         mounts >> device >> target && std::getline(mounts, rest);) {
        if (target.rfind(dir.string() + "/", 0) == 0) {
            targets.push_back(target);
        }
    }
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
        ::umount2(it->c_str(), MNT_DETACH);
    }
}

}  // namespace

std::vector<std::string> DockerCli::env() const {
    return m_host.empty() ? std::vector<std::string>{}
                          : std::vector<std::string>{"DOCKER_HOST=" + m_host};
}

bool DockerCli::answers() const {
    return run_command({"docker", "info", "--format", "{{.ID}}"}, Millis(10000), env()).ok();
}

std::vector<Container> DockerCli::project_containers(const std::string& project) const {
    const auto ids = run_command({"docker", "ps", "-aq", "--no-trunc", "--filter",
                                  "label=com.docker.compose.project=" + project},
                                 k_cli_limit, env());
    std::vector<std::string> argv{"docker", "inspect"};
    for (const auto& id : words(ids.out)) {
        argv.push_back(id);
    }
    std::vector<Container> containers;
    if (argv.size() == 2) {
        return containers;
    }
    // A container removed between ps and inspect makes inspect exit 1 but still print the rest.
    const auto inspected = run_command(argv, k_cli_limit, env());
    const auto json = nlohmann::json::parse(inspected.out, nullptr, false);
    if (json.is_array()) {
        for (const auto& entry : json) {
            containers.push_back(from_inspect(entry));
        }
    }
    return containers;
}

Container DockerCli::service_container(const std::string& project,
                                       const std::string& service) const {
    for (auto& container : project_containers(project)) {
        if (container.service == service) {
            return container;
        }
    }
    return Container{};
}

std::string DockerCli::remove_project(const std::string& project) const {
    std::string problems;
    for (const auto& container : project_containers(project)) {
        const auto removed = run_command({"docker", "rm", "-f", container.id}, k_cli_limit, env());
        if (!removed.ok()) {
            problems += "docker rm -f " + container.id + ": " + removed.describe() + "; ";
        }
    }
    if (!project_containers(project).empty()) {
        problems += "containers of " + project + " remain";
    }
    return problems;
}

double epoch_seconds(const std::string& rfc3339) {
    std::tm tm{};
    const char* rest = ::strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == nullptr || tm.tm_year < 100) {
        return -1;
    }
    double fraction = 0;
    if (*rest == '.') {
        fraction = std::stod("0" + std::string(rest, rest + std::strcspn(rest, "Z+-")));
    }
    return static_cast<double>(::timegm(&tm)) + fraction;
}

SecondDaemon::~SecondDaemon() {
    stop();
    // Anything of this daemon still running (containerd, shims) goes; then its folders.
    for (const auto& process : processes_mentioning(m_dir.string())) {
        stop_process(process.pid, SIGKILL, Millis(5000));
    }
    unmount_below(m_dir);
    std::error_code ec;
    fs::remove_all(m_dir, ec);
}

std::string SecondDaemon::start() {
    fs::create_directories(m_dir);
    std::ofstream(m_dir / "daemon.json") << "{}\n";
    std::vector<std::string> argv{"dockerd",
                                  "--config-file=" + (m_dir / "daemon.json").string(),
                                  "--host=" + host(),
                                  "--data-root=" + (m_dir / "data").string(),
                                  "--exec-root=" + (m_dir / "exec").string(),
                                  "--pidfile=" + (m_dir / "docker.pid").string()};
    argv.insert(argv.end(), std::begin(k_dockerd_flags), std::end(k_dockerd_flags));
    m_pid = spawn_daemon(argv, (m_dir / "dockerd.log").string());
    if (m_pid < 0) {
        return "cannot start dockerd";
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!cli().answers()) {
        if (!running(m_pid)) {
            return "dockerd exited during startup: " + log();
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return "dockerd did not answer within 60 s: " + log();
        }
        std::this_thread::sleep_for(Millis(200));
    }
    return "";
}

bool SecondDaemon::stop() {
    if (m_pid < 0) {
        return true;
    }
    const bool stopped = stop_process(m_pid, SIGTERM, Millis(60000));
    m_pid = -1;
    return stopped;
}

std::string SecondDaemon::log() const {
    std::ifstream in(m_dir / "dockerd.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace stagehand::integration
