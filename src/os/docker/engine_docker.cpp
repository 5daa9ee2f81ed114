#include "os/docker/engine_docker.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "os/docker/engine_events.hpp"
#include "os/docker/engine_json.hpp"
#include "os/docker/image_ref.hpp"
#include "os/process/posix_runner.hpp"

namespace stagehand::os {

namespace {

constexpr std::size_t k_logs_max = 16u << 20;
constexpr std::chrono::seconds k_events_open_timeout{10};

// Only the events the start sequence and validation act on: without this filter every
// healthcheck run adds exec_create/exec_start/exec_die events to the stream.
constexpr const char* k_event_actions[] = {"create", "start", "restart", "die",          "oom",
                                           "kill",   "stop",  "destroy", "health_status"};

int code_for_status(int status) {
    if (status == 404) {
        return ENOENT;
    }
    if (status == 401 || status == 403) {
        return EACCES;
    }
    return EIO;
}

// "what: <daemon's message>" with a code telling the caller what kind of failure it was.
util::Error http_error(const std::string& what, const EngineResponse& response) {
    std::string message = parse_error_message(response.body);
    if (message.empty()) {
        message = "HTTP status " + std::to_string(response.status);
    }
    return util::Error{what + ": " + message, code_for_status(response.status)};
}

std::string project_filter(const std::string& project, bool events) {
    nlohmann::json filter;
    filter["label"] = nlohmann::json::array({"com.docker.compose.project=" + project});
    if (events) {
        filter["type"] = nlohmann::json::array({"container"});
        filter["event"] = nlohmann::json::array();
        for (const char* action : k_event_actions) {
            filter["event"].push_back(action);
        }
    }
    return url_encode(filter.dump());
}

// `since` for the logs of the container's current run. A line written in the first instant
// carries a timestamp a few ms before StartedAt (Docker 20.10 records StartedAt after the
// task started; seen on this daemon), so take a second more -- but while it runs, never reach
// back into the previous run: FinishedAt is then that run's end. (Once it exited, FinishedAt
// is this run's and may even precede StartedAt, so it says nothing about earlier runs.)
std::string logs_since(const ContainerState& state) {
    const auto started = parse_rfc3339(state.started_at);
    if (!started) {
        return "0";
    }
    UnixTime since = *started;
    since.seconds -= 1;
    const auto previous_end = parse_rfc3339(state.finished_at);
    const bool live = state.running || state.restarting;
    if (live && previous_end && since < *previous_end && *previous_end < *started) {
        since = *previous_end;
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld.%09ld", since.seconds, since.nanos);
    return buf;
}

}  // namespace

util::Result<EngineResponse> EngineDocker::get(const std::string& target, MonoTime deadline,
                                               const Cancel& cancel, std::size_t max_body) {
    return m_client.request(EngineRequest{"GET", target, {}}, deadline, cancel, max_body);
}

util::Status EngineDocker::ping(MonoTime deadline, const Cancel& cancel) {
    auto response = get("/_ping", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("Docker daemon at " + socket_path() + " is not healthy", *response);
    }
    return {};
}

util::Result<std::vector<ContainerState>> EngineDocker::project_containers(
    const std::string& project, MonoTime deadline, const Cancel& cancel) {
    auto listed = list_containers(project, deadline, cancel);
    if (!listed) {
        return listed.error();
    }
    std::vector<ContainerState> containers;
    for (const auto& summary : *listed) {
        auto state = inspect(summary.id, deadline, cancel);
        if (state) {
            containers.push_back(std::move(state).value());
        } else if (state.error().code != ENOENT) {
            // ENOENT: removed between list and inspect, an expected race; skip it.
            return state.error();
        }
    }
    return containers;
}

util::Result<std::vector<ContainerState>> EngineDocker::list_containers(const std::string& project,
                                                                        MonoTime deadline,
                                                                        const Cancel& cancel) {
    auto response =
        get("/containers/json?all=1&filters=" + project_filter(project, false), deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to list the containers of project " + project, *response);
    }
    return parse_container_list(response->body);
}

util::Result<ContainerState> EngineDocker::inspect(const std::string& container_id,
                                                   MonoTime deadline, const Cancel& cancel) {
    auto response = get("/containers/" + url_encode_path(container_id) + "/json", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to inspect container " + container_id, *response);
    }
    return parse_container_inspect(response->body);
}

util::Result<std::string> EngineDocker::container_logs(const std::string& container_id,
                                                       const std::string& query, MonoTime deadline,
                                                       const Cancel& cancel) {
    auto response =
        get("/containers/" + url_encode_path(container_id) + "/logs?stdout=1&stderr=1&" + query,
            deadline, cancel, k_logs_max);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to read the logs of container " + container_id, *response);
    }
    if (response->truncated) {
        // The tail kept may begin inside a frame, so framing is no longer recognisable.
        return std::move(response->body);
    }
    return demultiplex_logs(response->body);
}

util::Result<std::vector<std::string>> EngineDocker::logs_tail(const std::string& container_id,
                                                               int lines, MonoTime deadline,
                                                               const Cancel& cancel) {
    if (lines <= 0) {
        return std::vector<std::string>{};
    }
    auto text = container_logs(container_id, "tail=" + std::to_string(lines), deadline, cancel);
    if (!text) {
        return text.error();
    }
    auto all = split_log_lines(*text);
    if (all.size() > static_cast<std::size_t>(lines)) {
        all.erase(all.begin(), all.end() - lines);
    }
    return all;
}

util::Result<std::string> EngineDocker::logs_since_start(const std::string& container_id,
                                                         MonoTime deadline, const Cancel& cancel) {
    auto state = inspect(container_id, deadline, cancel);
    if (!state) {
        return state.error();
    }
    return container_logs(container_id, "since=" + logs_since(*state), deadline, cancel);
}

util::Result<bool> EngineDocker::image_present(const std::string& image, MonoTime deadline,
                                               const Cancel& cancel) {
    auto response = get("/images/" + url_encode_path(image) + "/json", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status == 404) {
        return false;
    }
    if (response->status != 200) {
        return http_error("failed to inspect image " + image, *response);
    }
    return true;
}

util::Result<std::string> EngineDocker::image_digest(const std::string& image, MonoTime deadline,
                                                     const Cancel& cancel) {
    auto response = get("/images/" + url_encode_path(image) + "/json", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to inspect image " + image, *response);
    }
    auto digests = parse_repo_digests(response->body);
    if (!digests) {
        return digests.error();
    }
    return pick_repo_digest(*digests, image);
}

util::Result<std::optional<ImageInfo>> EngineDocker::image_info(const std::string& image,
                                                                MonoTime deadline,
                                                                const Cancel& cancel) {
    auto response = get("/images/" + url_encode_path(image) + "/json", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status == 404) {
        return std::optional<ImageInfo>();
    }
    if (response->status != 200) {
        return http_error("failed to inspect image " + image, *response);
    }
    auto digests = parse_repo_digests(response->body);
    if (!digests) {
        return digests.error();
    }
    const auto json = nlohmann::json::parse(response->body, nullptr, false);
    const auto id = json.is_object() ? json.find("Id") : json.end();
    if (id == json.end() || !id->is_string()) {
        return util::Error{"failed to inspect image " + image + ": no Id in Docker's answer", EIO};
    }
    return std::optional<ImageInfo>(ImageInfo{id->get<std::string>(), std::move(digests).value()});
}

util::Status EngineDocker::tag_image(const std::string& source, const std::string& target,
                                     MonoTime deadline, const Cancel& cancel) {
    const ImageRef ref = split_image_ref(target);
    auto response = m_client.request(
        EngineRequest{"POST",
                      "/images/" + url_encode_path(source) +
                          "/tag?repo=" + url_encode(ref.repository) + "&tag=" + url_encode(ref.tag),
                      {}},
        deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 201 && response->status != 200) {
        return http_error("failed to tag " + source + " as " + target, *response);
    }
    return {};
}

util::Result<PullResult> EngineDocker::pull(const std::string& image, MonoTime deadline,
                                            const Cancel& cancel) {
    const std::string what = "failed to pull " + image;
    const ImageRef ref = split_image_ref(image);
    EngineRequest request{"POST",
                          "/images/create?fromImage=" + url_encode(ref.repository) +
                              "&tag=" + url_encode(ref.digest.empty() ? ref.tag : ref.digest),
                          {},
                          true};
    RegistryCredential credential;
    if (m_auth != nullptr) {
        auto found = m_auth->credential_for(image, deadline, cancel);
        if (!found) {
            return util::Error{what + ": " + found.error().message, found.error().code};
        }
        credential = std::move(found).value();
        if (!credential.header.empty()) {
            request.headers.emplace_back("X-Registry-Auth", credential.header);
        }
    }
    // A refusal by the registry names where the credentials came from (never what they are).
    const std::string from =
        credential.source.empty() ? "" : " (credentials from " + credential.source + ")";
    PullProgress progress;
    auto response = m_client.stream(
        request,
        [&](std::string_view data) {
            progress.feed(data);
            return true;
        },
        deadline, cancel);
    if (!response) {
        return util::Error{what + ": " + response.error().message, response.error().code};
    }
    // Docker answers with an HTTP error when the pull fails before any progress was sent
    // (manifest unknown: 404, registry unreachable: 500), else inside the 200 stream.
    if (response->status != 200) {
        auto error = http_error(what, *response);
        error.message += from;
        return error;
    }
    progress.finish();
    if (progress.error()) {
        return util::Error{what + ": " + *progress.error() + from, EIO};
    }
    PullResult result{image, progress.digest(), progress.summary()};
    if (result.digest.empty()) {
        auto digest = image_digest(image, deadline, cancel);
        if (digest) {
            result.digest = std::move(digest).value();
        }
    }
    return result;
}

util::Status EngineDocker::container_action(const std::string& container_id,
                                            const std::string& action, MonoTime deadline,
                                            const Cancel& cancel) {
    // Patient: the daemon answers a stop only once the container is down (up to its stop
    // timeout), and a start on a busy 1-vCPU host at boot takes seconds (runc, networking).
    auto response = m_client.request(
        EngineRequest{
            "POST", "/containers/" + url_encode_path(container_id) + "/" + action, {}, true},
        deadline, cancel);
    if (!response) {
        return response.error();
    }
    // 304 Not Modified: already in that state.
    if (response->status != 204 && response->status != 304 && response->status != 200) {
        return http_error("failed to " + action + " container " + container_id, *response);
    }
    return {};
}

util::Status EngineDocker::start_container(const std::string& container_id, MonoTime deadline,
                                           const Cancel& cancel) {
    return container_action(container_id, "start", deadline, cancel);
}

util::Status EngineDocker::stop_container(const std::string& container_id, MonoTime deadline,
                                          const Cancel& cancel) {
    return container_action(container_id, "stop", deadline, cancel);
}

util::Result<std::vector<std::pair<std::string, std::string>>> EngineDocker::list_images(
    MonoTime deadline, const Cancel& cancel) {
    auto response = get("/images/json", deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to list images", *response);
    }
    return parse_image_list(response->body);
}

util::Status EngineDocker::remove_image(const std::string& image_ref, MonoTime deadline,
                                        const Cancel& cancel) {
    auto response = m_client.request(
        EngineRequest{"DELETE", "/images/" + url_encode_path(image_ref), {}}, deadline, cancel);
    if (!response) {
        return response.error();
    }
    if (response->status != 200) {
        return http_error("failed to remove image " + image_ref, *response);
    }
    return {};
}

util::Result<std::unique_ptr<EventStream>> EngineDocker::events(const std::string& project,
                                                                const Cancel& cancel) {
    // The open is bounded; the run's Cancel ends it too (a SIGTERM under `runas` has 2 s).
    auto connection =
        m_client.open(EngineRequest{"GET", "/events?filters=" + project_filter(project, true), {}},
                      std::chrono::steady_clock::now() + k_events_open_timeout, cancel);
    if (!connection) {
        return connection.error();
    }
    if ((*connection)->status() != 200) {
        return util::Error{"failed to follow Docker events of project " + project +
                               ": HTTP status " + std::to_string((*connection)->status()),
                           code_for_status((*connection)->status())};
    }
    return std::unique_ptr<EventStream>(
        std::make_unique<EngineEventStream>(std::move(connection).value()));
}

util::Result<std::unique_ptr<EngineDocker>> make_engine_docker(const char* docker_host,
                                                               std::unique_ptr<RegistryAuth> auth) {
    auto path = docker_socket_path(docker_host);
    if (!path) {
        return path.error();
    }
    if (auth == nullptr) {
        auth = std::make_unique<DockerConfigAuth>(own_docker_config_path(),
                                                  std::make_shared<PosixProcessRunner>());
    }
    return std::make_unique<EngineDocker>(std::move(path).value(), std::move(auth));
}

}  // namespace stagehand::os
