#pragma once
// A Docker engine for tests: serves scripted container states and logs, records every call.
// Thread-safe (probes of several checks run concurrently). Reusable by any step's tests.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "os/docker/docker.hpp"

namespace stagehand::testing {

// A running container of `service` as compose would label it.
inline os::ContainerState running_container(const std::string& service, const std::string& id,
                                            const std::string& ip = "172.18.0.2") {
    os::ContainerState c;
    c.id = id;
    c.name = "proj-" + service + "-1";
    c.service = service;
    c.status = "running";
    c.running = true;
    c.pid = 4242;
    c.started_at = "2024-05-01T10:00:00.000000000Z";
    c.image = service + ":latest";
    c.ip_address = ip;
    return c;
}

class FakeDocker final : public os::Docker {
  public:
    // Called (under the lock) before each project_containers answer, with the call number
    // (1-based) and the list it may edit: scripts restarts, crashes and recoveries.
    std::function<void(int call, std::vector<os::ContainerState>& containers)> on_list;

    void set_containers(std::vector<os::ContainerState> containers) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_containers = std::move(containers);
    }
    // Edits the stored container with this id (no-op when absent).
    void update(const std::string& id, const std::function<void(os::ContainerState&)>& edit) {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto& c : m_containers) {
            if (c.id == id) {
                edit(c);
            }
        }
    }
    void set_logs(const std::string& id, std::vector<std::string> lines) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_logs[id] = std::move(lines);
    }
    // Non-empty: project_containers fails with this message.
    void set_list_error(std::string message) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_list_error = std::move(message);
    }
    // "project_containers proj", "inspect ID", "logs_tail ID 10", "logs_since_start ID", ...
    std::vector<std::string> calls() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_calls;
    }
    int count(std::string_view prefix) const {
        std::lock_guard<std::mutex> lock(m_mutex);
        int n = 0;
        for (const auto& call : m_calls) {
            n += call.rfind(prefix, 0) == 0 ? 1 : 0;
        }
        return n;
    }

    util::Status ping(os::MonoTime, const os::Cancel&) override {
        record("ping");
        return {};
    }
    util::Result<std::vector<os::ContainerState>> project_containers(const std::string& project,
                                                                     os::MonoTime,
                                                                     const os::Cancel&) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back("project_containers " + project);
        ++m_list_calls;
        if (on_list) {
            on_list(m_list_calls, m_containers);
        }
        if (!m_list_error.empty()) {
            return util::Error{m_list_error};
        }
        return m_containers;
    }
    util::Result<os::ContainerState> inspect(const std::string& id, os::MonoTime,
                                             const os::Cancel&) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back("inspect " + id);
        for (const auto& c : m_containers) {
            if (c.id == id) {
                return c;
            }
        }
        return util::Error{"No such container: " + id};
    }
    util::Result<std::vector<std::string>> logs_tail(const std::string& id, int lines, os::MonoTime,
                                                     const os::Cancel&) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back("logs_tail " + id + " " + std::to_string(lines));
        const auto& all = m_logs[id];
        const std::size_t keep = std::min(all.size(), static_cast<std::size_t>(lines));
        return std::vector<std::string>(all.end() - static_cast<std::ptrdiff_t>(keep), all.end());
    }
    util::Result<std::string> logs_since_start(const std::string& id, os::MonoTime,
                                               const os::Cancel&) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back("logs_since_start " + id);
        std::string text;
        for (const auto& line : m_logs[id]) {
            text += line + "\n";
        }
        return text;
    }
    util::Result<bool> image_present(const std::string& image, os::MonoTime,
                                     const os::Cancel&) override {
        record("image_present " + image);
        return true;
    }
    util::Result<os::PullResult> pull(const std::string& image, os::MonoTime,
                                      const os::Cancel&) override {
        record("pull " + image);
        return os::PullResult{image, "", ""};
    }
    util::Result<std::string> image_digest(const std::string& image, os::MonoTime,
                                           const os::Cancel&) override {
        record("image_digest " + image);
        return std::string();
    }
    // The boot modes: a start marks the container running, a stop marks it exited.
    util::Status start_container(const std::string& id, os::MonoTime, const os::Cancel&) override {
        set_running(id, true, "start_container " + id);
        return {};
    }
    util::Status stop_container(const std::string& id, os::MonoTime, const os::Cancel&) override {
        set_running(id, false, "stop_container " + id);
        return {};
    }
    util::Result<std::vector<std::pair<std::string, std::string>>> list_images(
        os::MonoTime, const os::Cancel&) override {
        record("list_images");
        return std::vector<std::pair<std::string, std::string>>{};
    }
    util::Status remove_image(const std::string& image_ref, os::MonoTime,
                              const os::Cancel&) override {
        record("remove_image " + image_ref);
        return {};
    }
    util::Result<std::unique_ptr<os::EventStream>> events(const std::string& project) override {
        record("events " + project);
        return util::Error{"events are not scripted in FakeDocker"};
    }

  private:
    void set_running(const std::string& id, bool running, std::string call) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back(std::move(call));
        for (auto& c : m_containers) {
            if (c.id == id) {
                c.running = running;
                c.status = running ? "running" : "exited";
            }
        }
    }
    void record(std::string call) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_calls.push_back(std::move(call));
    }

    mutable std::mutex m_mutex;
    std::vector<os::ContainerState> m_containers;
    std::map<std::string, std::vector<std::string>> m_logs;
    std::string m_list_error;
    std::vector<std::string> m_calls;
    int m_list_calls = 0;
};

}  // namespace stagehand::testing
