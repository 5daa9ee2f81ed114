#pragma once
// The Docker engine and compose, as stagehand sees them. Containers are always found by the
// compose labels (com.docker.compose.project / .service), never by name.

#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "os/process/process.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// Error::code of a Docker call the daemon did not answer in time (EngineClient: no byte for
// its answer timeout): it is frozen or overloaded. Distinct from ETIMEDOUT (the caller's
// deadline passed) so that callers can name the daemon rather than what they waited for.
inline constexpr int k_daemon_unresponsive = EHOSTDOWN;

struct ContainerState {
    std::string id;
    std::string name;
    std::string service;  // com.docker.compose.service
    std::string status;   // created, running, restarting, exited, paused, dead
    bool running = false;
    bool restarting = false;
    bool oom_killed = false;
    int exit_code = 0;
    int restart_count = 0;
    int pid = 0;
    std::string health;       // "" (no healthcheck), starting, healthy, unhealthy
    std::string started_at;   // RFC 3339 as Docker prints it
    std::string finished_at;  // RFC 3339; "0001-01-01T00:00:00Z" before the first exit
    std::string image;        // Config.Image (the reference)
    std::string image_id;     // sha256:...
    std::string ip_address;   // first network's address; empty with network_mode: host
    bool host_network = false;
    std::string config_hash;  // com.docker.compose.config-hash

    // Stopped after it ran: neither running, restarting nor only created (a container compose
    // created but has not started yet is no exit). The start loop's watch and validate-service
    // read Docker's state through this one rule.
    bool has_exited() const { return !running && !restarting && status != "created"; }
};

// One line of `docker events` for this project's containers.
struct DockerEvent {
    std::string action;  // start, die, oom, health_status, restart, kill, stop, create, destroy
    std::string container_id;
    std::string service;
    std::optional<int> exit_code;  // die
    std::string health;            // health_status: healthy / unhealthy
    long long time_nano = 0;
};

struct PullResult {
    std::string image;
    std::string digest;  // repo digest (sha256:...) when the registry gave one
    std::string output;  // last lines of docker's output, sanitised by the caller
};

// A local image as GET /images/{name}/json describes it.
struct ImageInfo {
    std::string id;                         // sha256:...
    std::vector<std::string> repo_digests;  // "repo@sha256:..."
};

class EventStream {
  public:
    virtual ~EventStream() = default;
    virtual int fd() const = 0;
    // Parsed events so far; lines that do not parse are dropped (logged at debug).
    virtual std::vector<DockerEvent> take_events() = 0;
    virtual bool finished() = 0;  // the stream ended (daemon gone?)
};

class Docker {
  public:
    virtual ~Docker() = default;
    // The daemon answers (docker version). Error text says how to fix it.
    virtual util::Status ping(MonoTime deadline, const Cancel& cancel) = 0;
    // Every container of the project (any state).
    virtual util::Result<std::vector<ContainerState>> project_containers(const std::string& project,
                                                                         MonoTime deadline,
                                                                         const Cancel& cancel) = 0;
    // The project's containers as one list call reports them: id, service, status, running,
    // restarting, image, address; no exit code, pid or health (inspect has those). One call
    // however many containers: what a periodic check while waiting can afford.
    virtual util::Result<std::vector<ContainerState>> list_containers(const std::string& project,
                                                                      MonoTime deadline,
                                                                      const Cancel& cancel) {
        return project_containers(project, deadline, cancel);
    }
    virtual util::Result<ContainerState> inspect(const std::string& container_id, MonoTime deadline,
                                                 const Cancel& cancel) = 0;
    // Last `lines` lines of the container's output (stdout and stderr) since its start.
    virtual util::Result<std::vector<std::string>> logs_tail(const std::string& container_id,
                                                             int lines, MonoTime deadline,
                                                             const Cancel& cancel) = 0;
    // Whole output since the container's start (for `log:` probes).
    virtual util::Result<std::string> logs_since_start(const std::string& container_id,
                                                       MonoTime deadline, const Cancel& cancel) = 0;
    virtual util::Result<bool> image_present(const std::string& image, MonoTime deadline,
                                             const Cancel& cancel) = 0;
    virtual util::Result<PullResult> pull(const std::string& image, MonoTime deadline,
                                          const Cancel& cancel) = 0;
    // Repo digest of a local image ("" when it has none).
    virtual util::Result<std::string> image_digest(const std::string& image, MonoTime deadline,
                                                   const Cancel& cancel) = 0;
    // The local image `image` (a reference or an id); nullopt when it is not present.
    virtual util::Result<std::optional<ImageInfo>> image_info(const std::string& image,
                                                              MonoTime /*deadline*/,
                                                              const Cancel& /*cancel*/) {
        return util::Error{"image_info is not available for " + image, ENOSYS};
    }
    // Points the tag `target` ("repo:tag") at the local image `source` (a reference or id).
    virtual util::Status tag_image(const std::string& source, const std::string& target,
                                   MonoTime /*deadline*/, const Cancel& /*cancel*/) {
        return util::Error{"tag_image is not available for " + source + " -> " + target, ENOSYS};
    }
    // Starts an existing (created or stopped) container; one already running is no error.
    virtual util::Status start_container(const std::string& container_id, MonoTime /*deadline*/,
                                         const Cancel& /*cancel*/) {
        return util::Error{"start_container is not available for " + container_id, ENOSYS};
    }
    // Stops a container (SIGTERM, then SIGKILL after its own stop timeout: compose sets it
    // from stop_grace_period). Docker marks it stopped by hand, so `unless-stopped` does not
    // start it at the daemon's next start. One already stopped is no error.
    virtual util::Status stop_container(const std::string& container_id, MonoTime /*deadline*/,
                                        const Cancel& /*cancel*/) {
        return util::Error{"stop_container is not available for " + container_id, ENOSYS};
    }
    // Every local image as (reference, id): one pair per repo:tag; an untagged image by its
    // repo@digest, or ("", id).
    virtual util::Result<std::vector<std::pair<std::string, std::string>>> list_images(
        MonoTime deadline, const Cancel& cancel) = 0;
    virtual util::Status remove_image(const std::string& image_ref, MonoTime deadline,
                                      const Cancel& cancel) = 0;
    // docker events filtered by the project label, from now on.
    virtual util::Result<std::unique_ptr<EventStream>> events(const std::string& project,
                                                              const Cancel& cancel) = 0;
};

// `docker compose` (v2 plugin) or `docker-compose` (v1).
class Compose {
  public:
    virtual ~Compose() = default;
    // "docker compose 2.26.1" / "docker-compose 1.29.2"
    virtual std::string describe() const = 0;
    // up -d --no-deps SERVICE: creates or recreates (when its config changed) and starts the
    // one service, never its dependencies.
    virtual util::Status up_service(const std::string& service, MonoTime deadline,
                                    const Cancel& cancel) = 0;
    // stop SERVICE... with a graceful timeout.
    virtual util::Status stop_services(const std::vector<std::string>& services,
                                       int timeout_seconds, MonoTime deadline,
                                       const Cancel& cancel) = 0;
};

}  // namespace stagehand::os
