#pragma once
// The one Docker engine for the steps' tests: serves scripted containers, logs and images,
// answers pulls from a script, and records every call ("project_containers proj",
// "inspect ID", "logs_tail ID 10", "image_present IMG", "pull IMG", "remove_image REF", ...).
// Thread-safe: validate's probes and the pull step's workers call it concurrently. Hooks
// (on_list, before_pull) script what a list or a pull sees at the moment it happens.

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "os/docker/docker.hpp"

namespace stagehand::testing {

// A running container of `service` as compose would label it.
os::ContainerState running_container(const std::string& service, const std::string& id,
                                     const std::string& ip = "172.18.0.2");

class FakeDocker final : public os::Docker {
  public:
    // Called (under the lock) before each project_containers answer, with the call number
    // (1-based) and the list it may edit: scripts restarts, crashes and recoveries.
    std::function<void(int call, std::vector<os::ContainerState>& containers)> on_list;
    // Called (without the lock, so it may block or advance a FakeClock) at the start of each
    // pull; an error is the pull's answer. Otherwise the pull answers from fail_pulls, then
    // succeeds with the digest "sha256:pulled-<image>".
    std::function<util::Status(const std::string& image, os::MonoTime deadline)> before_pull;

    void set_containers(std::vector<os::ContainerState> containers);
    // Edits the stored container with this id (no-op when absent).
    void update(const std::string& id, const std::function<void(os::ContainerState&)>& edit);
    void set_logs(const std::string& id, std::vector<std::string> lines);
    // Non-empty: project_containers fails with this message.
    void set_list_error(std::string message);
    // Images present locally (image_present; image_digest answers "sha256:local-<image>").
    void set_present(std::set<std::string> images);
    // What list_images answers: (reference, image id) pairs.
    void set_images(std::vector<std::pair<std::string, std::string>> images);
    // The next pulls of `image` fail with these errors, in order.
    void fail_pulls(const std::string& image, std::deque<util::Error> errors);
    // The next starts of container `id` fail with these errors, in order (the container stays
    // stopped); then starts succeed.
    void fail_starts(const std::string& id, std::deque<util::Error> errors);

    std::vector<std::string> calls() const;
    // The calls that start with `prefix`, in order.
    std::vector<std::string> calls(std::string_view prefix) const;
    int count(std::string_view prefix) const;
    void clear_calls();

    util::Status ping(os::MonoTime, const os::Cancel&) override;
    util::Result<std::vector<os::ContainerState>> project_containers(const std::string& project,
                                                                     os::MonoTime,
                                                                     const os::Cancel&) override;
    util::Result<os::ContainerState> inspect(const std::string& id, os::MonoTime,
                                             const os::Cancel&) override;
    util::Result<std::vector<std::string>> logs_tail(const std::string& id, int lines, os::MonoTime,
                                                     const os::Cancel&) override;
    util::Result<std::string> logs_since_start(const std::string& id, os::MonoTime,
                                               const os::Cancel&) override;
    util::Result<bool> image_present(const std::string& image, os::MonoTime,
                                     const os::Cancel&) override;
    util::Result<os::PullResult> pull(const std::string& image, os::MonoTime deadline,
                                      const os::Cancel&) override;
    util::Result<std::string> image_digest(const std::string& image, os::MonoTime,
                                           const os::Cancel&) override;
    util::Result<std::vector<std::pair<std::string, std::string>>> list_images(
        os::MonoTime, const os::Cancel&) override;
    util::Status remove_image(const std::string& image_ref, os::MonoTime,
                              const os::Cancel&) override;
    util::Result<std::unique_ptr<os::EventStream>> events(const std::string& project,
                                                          const os::Cancel& cancel) override;
    // The boot modes: a start marks the container running, a stop marks it exited.
    util::Status start_container(const std::string& id, os::MonoTime, const os::Cancel&) override;
    util::Status stop_container(const std::string& id, os::MonoTime, const os::Cancel&) override;

  private:
    void record(std::string call);
    void set_running(const std::string& id, bool running, std::string call);

    mutable std::mutex m_mutex;
    std::vector<os::ContainerState> m_containers;
    std::map<std::string, std::vector<std::string>> m_logs;
    std::string m_list_error;
    std::set<std::string> m_present;
    std::vector<std::pair<std::string, std::string>> m_images;
    std::map<std::string, std::deque<util::Error>> m_pull_failures;
    std::map<std::string, std::deque<util::Error>> m_start_failures;
    std::vector<std::string> m_calls;
    int m_list_calls = 0;
};

}  // namespace stagehand::testing
