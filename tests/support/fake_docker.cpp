#include "support/fake_docker.hpp"

#include <algorithm>

namespace stagehand::testing {

os::ContainerState running_container(const std::string& service, const std::string& id,
                                     const std::string& ip) {
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

void FakeDocker::set_containers(std::vector<os::ContainerState> containers) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_containers = std::move(containers);
}

void FakeDocker::update(const std::string& id,
                        const std::function<void(os::ContainerState&)>& edit) {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& c : m_containers) {
        if (c.id == id) {
            edit(c);
        }
    }
}

void FakeDocker::set_logs(const std::string& id, std::vector<std::string> lines) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_logs[id] = std::move(lines);
}

void FakeDocker::set_list_error(std::string message) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_list_error = std::move(message);
}

void FakeDocker::set_present(std::set<std::string> images) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_present = std::move(images);
}

void FakeDocker::set_images(std::vector<std::pair<std::string, std::string>> images) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_images = std::move(images);
}

void FakeDocker::fail_pulls(const std::string& image, std::deque<util::Error> errors) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pull_failures[image] = std::move(errors);
}

std::vector<std::string> FakeDocker::calls() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_calls;
}

std::vector<std::string> FakeDocker::calls(std::string_view prefix) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<std::string> matching;
    std::copy_if(m_calls.begin(), m_calls.end(), std::back_inserter(matching),
                 [&](const std::string& call) { return call.rfind(prefix, 0) == 0; });
    return matching;
}

int FakeDocker::count(std::string_view prefix) const {
    return static_cast<int>(calls(prefix).size());
}

void FakeDocker::clear_calls() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.clear();
}

util::Status FakeDocker::ping(os::MonoTime, const os::Cancel&) {
    record("ping");
    return {};
}

util::Result<std::vector<os::ContainerState>> FakeDocker::project_containers(
    const std::string& project, os::MonoTime, const os::Cancel&) {
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

util::Result<os::ContainerState> FakeDocker::inspect(const std::string& id, os::MonoTime,
                                                     const os::Cancel&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back("inspect " + id);
    for (const auto& c : m_containers) {
        if (c.id == id) {
            return c;
        }
    }
    return util::Error{"No such container: " + id};
}

util::Result<std::vector<std::string>> FakeDocker::logs_tail(const std::string& id, int lines,
                                                             os::MonoTime, const os::Cancel&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back("logs_tail " + id + " " + std::to_string(lines));
    const auto& all = m_logs[id];
    const std::size_t keep = std::min(all.size(), static_cast<std::size_t>(lines));
    return std::vector<std::string>(all.end() - static_cast<std::ptrdiff_t>(keep), all.end());
}

util::Result<std::string> FakeDocker::logs_since_start(const std::string& id, os::MonoTime,
                                                       const os::Cancel&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back("logs_since_start " + id);
    std::string text;
    for (const auto& line : m_logs[id]) {
        text += line + "\n";
    }
    return text;
}

util::Result<bool> FakeDocker::image_present(const std::string& image, os::MonoTime,
                                             const os::Cancel&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back("image_present " + image);
    return m_present.count(image) > 0;
}

util::Result<os::PullResult> FakeDocker::pull(const std::string& image, os::MonoTime deadline,
                                              const os::Cancel&) {
    record("pull " + image);
    if (before_pull) {
        if (auto status = before_pull(image, deadline); !status) {
            return status.error();
        }
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& queue = m_pull_failures[image];
    if (!queue.empty()) {
        util::Error error = queue.front();
        queue.pop_front();
        return error;
    }
    return os::PullResult{image, "sha256:pulled-" + image, ""};
}

util::Result<std::string> FakeDocker::image_digest(const std::string& image, os::MonoTime,
                                                   const os::Cancel&) {
    record("image_digest " + image);
    return "sha256:local-" + image;
}

util::Result<std::vector<std::pair<std::string, std::string>>> FakeDocker::list_images(
    os::MonoTime, const os::Cancel&) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back("list_images");
    return m_images;
}

util::Status FakeDocker::remove_image(const std::string& image_ref, os::MonoTime,
                                      const os::Cancel&) {
    record("remove_image " + image_ref);
    return {};
}

util::Result<std::unique_ptr<os::EventStream>> FakeDocker::events(const std::string& project,
                                                                  const os::Cancel&) {
    record("events " + project);
    return util::Error{"events are not scripted in FakeDocker"};
}

void FakeDocker::record(std::string call) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back(std::move(call));
}

void FakeDocker::fail_starts(const std::string& id, std::deque<util::Error> errors) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_start_failures[id] = std::move(errors);
}

util::Status FakeDocker::start_container(const std::string& id, os::MonoTime, const os::Cancel&) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto& failures = m_start_failures[id];
        if (!failures.empty()) {
            auto error = std::move(failures.front());
            failures.pop_front();
            m_calls.push_back("start_container " + id);
            return error;
        }
    }
    set_running(id, true, "start_container " + id);
    return {};
}

util::Status FakeDocker::stop_container(const std::string& id, os::MonoTime, const os::Cancel&) {
    set_running(id, false, "stop_container " + id);
    return {};
}

void FakeDocker::set_running(const std::string& id, bool running, std::string call) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_calls.push_back(std::move(call));
    for (auto& c : m_containers) {
        if (c.id == id) {
            c.running = running;
            c.status = running ? "running" : "exited";
        }
    }
}

}  // namespace stagehand::testing
