#pragma once
// What the tests look at and clean up on the Docker side, through the docker CLI: the
// containers of one compose project, and a private second daemon.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace stagehand::integration {

namespace fs = std::filesystem;

struct Container {
    std::string id;
    std::string service;  // label com.docker.compose.service
    std::string image;    // the reference it was created from (Config.Image)
    std::string image_id;
    std::string status;  // running, exited, created, ...
    bool running = false;
    int exit_code = 0;
    bool oom_killed = false;
    int restarts = 0;
    std::string started_at;  // RFC 3339 with nanoseconds, as Docker reports it
    std::string finished_at;
};

// The docker CLI against one daemon: env "DOCKER_HOST=unix://..." or none for the default.
class DockerCli {
  public:
    DockerCli() = default;
    explicit DockerCli(std::string docker_host) : m_host(std::move(docker_host)) {}

    // True when the daemon answers `docker info` within 10 s.
    bool answers() const;
    // Every container (any state) labelled com.docker.compose.project=project.
    std::vector<Container> project_containers(const std::string& project) const;
    // The one container of service, or a Container with an empty id.
    Container service_container(const std::string& project, const std::string& service) const;
    // docker rm -f of every container of the project; "" or what went wrong.
    std::string remove_project(const std::string& project) const;
    // The environment entries a child needs to talk to this daemon.
    std::vector<std::string> env() const;

  private:
    std::string m_host;  // "" = the default daemon
};

// Seconds since the epoch of an RFC 3339 timestamp such as "2024-05-01T10:00:01.123456789Z";
// negative when it cannot be parsed (or is Docker's zero time).
double epoch_seconds(const std::string& rfc3339);

// A second dockerd with its own socket, data-root, exec-root and pidfile under `dir`, started
// with the flags of rig/world.sh, so a test can stop a daemon without touching the shared one.
class SecondDaemon {
  public:
    explicit SecondDaemon(fs::path dir) : m_dir(std::move(dir)) {}
    SecondDaemon(const SecondDaemon&) = delete;
    SecondDaemon& operator=(const SecondDaemon&) = delete;
    // Stops it (and whatever it left running) and removes its folders.
    ~SecondDaemon();

    // Starts it and waits up to 60 s until it answers; "" or why it did not.
    std::string start();
    // SIGTERM (a `systemctl stop docker`), waiting until the daemon and its containerd exit.
    bool stop();
    pid_t pid() const { return m_pid; }
    std::string host() const { return "unix://" + (m_dir / "docker.sock").string(); }
    DockerCli cli() const { return DockerCli(host()); }
    std::string log() const;

  private:
    fs::path m_dir;
    pid_t m_pid = -1;
};

}  // namespace stagehand::integration
