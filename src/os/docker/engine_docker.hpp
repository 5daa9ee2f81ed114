#pragma once
// os::Docker on the Engine API (unix socket, HTTP). Thread-safe: it holds no mutable state,
// each call opens its own connection, so parallel pulls may share one instance.
//
// Errors carry Error::code: ENOENT for "no such container/image" (an expected race after a
// list), ETIMEDOUT for the deadline, ECANCELED for Cancel, EACCES for 401/403, EIO for other
// daemon errors, else the socket's errno.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "os/docker/docker.hpp"
#include "os/docker/engine_client.hpp"
#include "os/docker/registry_auth.hpp"

namespace stagehand::os {

class EngineDocker final : public Docker {
  public:
    // `auth` null: anonymous pulls. `answer_timeout`: see EngineClient (tests shorten it).
    explicit EngineDocker(
        std::string socket_path, std::unique_ptr<RegistryAuth> auth = nullptr,
        std::chrono::milliseconds answer_timeout = EngineClient::k_default_answer_timeout)
        : m_client(std::move(socket_path), answer_timeout), m_auth(std::move(auth)) {}

    const std::string& socket_path() const { return m_client.socket_path(); }
    // Told while a call waits on a silent daemon (see WaitObserver). Set before first use.
    void set_wait_observer(WaitObserver observer) {
        m_client.set_wait_observer(std::move(observer));
    }

    util::Status ping(MonoTime deadline, const Cancel& cancel) override;
    util::Result<std::vector<ContainerState>> project_containers(const std::string& project,
                                                                 MonoTime deadline,
                                                                 const Cancel& cancel) override;
    util::Result<std::vector<ContainerState>> list_containers(const std::string& project,
                                                              MonoTime deadline,
                                                              const Cancel& cancel) override;
    util::Result<ContainerState> inspect(const std::string& container_id, MonoTime deadline,
                                         const Cancel& cancel) override;
    util::Result<std::vector<std::string>> logs_tail(const std::string& container_id, int lines,
                                                     MonoTime deadline,
                                                     const Cancel& cancel) override;
    // Output since the container's current start (not an earlier run's, after a restart);
    // at most the last 16 MiB.
    util::Result<std::string> logs_since_start(const std::string& container_id, MonoTime deadline,
                                               const Cancel& cancel) override;
    util::Result<bool> image_present(const std::string& image, MonoTime deadline,
                                     const Cancel& cancel) override;
    // Pulls `image` (no tag means :latest, never all tags). Error: "failed to pull IMAGE: "
    // followed by the registry's or daemon's own message, verbatim.
    util::Result<PullResult> pull(const std::string& image, MonoTime deadline,
                                  const Cancel& cancel) override;
    util::Result<std::string> image_digest(const std::string& image, MonoTime deadline,
                                           const Cancel& cancel) override;
    util::Result<std::optional<ImageInfo>> image_info(const std::string& image, MonoTime deadline,
                                                      const Cancel& cancel) override;
    // POST /images/{source}/tag?repo=..&tag=..
    util::Status tag_image(const std::string& source, const std::string& target, MonoTime deadline,
                           const Cancel& cancel) override;
    // POST /containers/{id}/start (304: already running) and /stop (304: already stopped).
    util::Status start_container(const std::string& container_id, MonoTime deadline,
                                 const Cancel& cancel) override;
    util::Status stop_container(const std::string& container_id, MonoTime deadline,
                                const Cancel& cancel) override;
    // Every local image as (reference, id): one pair per tag; untagged images by digest
    // reference, or ("", id).
    util::Result<std::vector<std::pair<std::string, std::string>>> list_images(
        MonoTime deadline, const Cancel& cancel) override;
    // Untags/removes without force: an image a container uses is an error (EIO, Docker's
    // "conflict: ..." message).
    util::Status remove_image(const std::string& image_ref, MonoTime deadline,
                              const Cancel& cancel) override;
    // Container events of the project (create, start, restart, die, oom, kill, stop, destroy,
    // health_status), from now on. Waits at most 10 s for the daemon to accept.
    util::Result<std::unique_ptr<EventStream>> events(const std::string& project,
                                                      const Cancel& cancel) override;

  private:
    util::Result<EngineResponse> get(const std::string& target, MonoTime deadline,
                                     const Cancel& cancel, std::size_t max_body = 8u << 20);
    util::Status container_action(const std::string& container_id, const std::string& action,
                                  MonoTime deadline, const Cancel& cancel);
    util::Result<std::string> container_logs(const std::string& container_id,
                                             const std::string& query, MonoTime deadline,
                                             const Cancel& cancel);

    EngineClient m_client;
    std::unique_ptr<RegistryAuth> m_auth;
};

// The EngineDocker for this environment: the socket from DOCKER_HOST (see
// docker_socket_path()); registry credentials from `auth`, by default the docker CLI's config
// file (DockerConfigAuth at docker_config_path(DOCKER_CONFIG, the home of the user we run as,
// from /etc/passwd)).
util::Result<std::unique_ptr<EngineDocker>> make_engine_docker(
    const char* docker_host, std::unique_ptr<RegistryAuth> auth = nullptr);

}  // namespace stagehand::os
