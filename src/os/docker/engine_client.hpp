#pragma once
// HTTP/1.1 to the Docker Engine API over its unix socket (Boost.Beast's parser; every wait
// through os::wait_any, like the probes' sockets). One connection per request: a unix-socket
// connect costs microseconds, and it keeps every request independent of the others (parallel pulls
// run one client per thread). Every blocking step runs under the caller's absolute deadline and
// Cancel: a daemon that stops answering yields an error, never a hang. No Docker CLI process is
// spawned: on a one-vCPU host a `docker inspect` per poll costs far more CPU than a request on the
// socket.

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "os/docker/docker.hpp"  // k_daemon_unresponsive
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// The socket the daemon listens on: DOCKER_HOST=unix://PATH, else /var/run/docker.sock.
// `docker_host` is the variable's value (nullptr or "" when unset). Any other scheme
// (tcp://, ssh://) is an error naming it: stagehand only talks to the local daemon.
util::Result<std::string> docker_socket_path(const char* docker_host);

struct EngineRequest {
    std::string method = "GET";  // GET, POST, DELETE
    std::string target;          // "/containers/json?all=1" (already percent-encoded)
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. X-Registry-Auth
    // No answer timeout, only the caller's deadline: POST /images/create (a pull), whose
    // answer the daemon holds back while the registry is slow (Docker 20.10 sends the
    // response header with the first progress message).
    bool patient = false;
};

// Told about once a second while a request waits on the daemon: what it waits for
// ("GET /containers/json") and how long the daemon has been silent. Called from the thread
// that made the request; must be thread-safe when requests run in parallel (pulls).
using WaitObserver =
    std::function<void(std::string_view what, std::chrono::milliseconds silent_for)>;

struct EngineResponse {
    int status = 0;
    std::string body;        // decoded (chunked framing removed)
    bool truncated = false;  // the body exceeded the limit; `body` holds its tail
};

class EngineConnection;

// Receives the body as it arrives; return false to stop reading (the request then succeeds
// with what was read so far).
using BodySink = std::function<bool(std::string_view)>;

class EngineClient {
  public:
    // A live daemon answers a request on its local socket within milliseconds; one silent
    // this long is not going to answer (seen: a frozen dockerd stalled after-install 55-90 s).
    static constexpr std::chrono::milliseconds k_default_answer_timeout{10000};

    // `answer_timeout`: how long each step of a request (connect, send, the answer, each part
    // of the body) may wait on the daemon before the request fails with
    // k_daemon_unresponsive (tests shorten it).
    explicit EngineClient(std::string socket_path,
                          std::chrono::milliseconds answer_timeout = k_default_answer_timeout)
        : m_socket_path(std::move(socket_path)), m_answer_timeout(answer_timeout) {}

    const std::string& socket_path() const { return m_socket_path; }
    // Set before the first request (not synchronised with requests in flight).
    void set_wait_observer(WaitObserver observer) { m_observer = std::move(observer); }

    // Sends the request and reads the whole response, keeping at most `max_body` bytes (the
    // tail). Errors: the daemon is unreachable (message names the socket), the deadline passed
    // ("timed out after ..."), Cancel fired ("cancelled"), the daemon did not answer within
    // the answer timeout (k_daemon_unresponsive, "did not answer for 10s"), or the
    // connection broke.
    util::Result<EngineResponse> request(const EngineRequest& request, MonoTime deadline,
                                         const Cancel& cancel,
                                         std::size_t max_body = 8u << 20) const;

    // Like request(), but the body of a 2xx answer goes to `sink` piece by piece (pull
    // progress). A non-2xx answer is returned whole in EngineResponse::body, sink untouched.
    util::Result<EngineResponse> stream(const EngineRequest& request, const BodySink& sink,
                                        MonoTime deadline, const Cancel& cancel) const;

    // Sends the request and reads the response header only (up to `deadline`); the caller
    // then reads the body without blocking (see EngineConnection). For `GET /events`.
    util::Result<std::unique_ptr<EngineConnection>> open(const EngineRequest& request,
                                                         MonoTime deadline,
                                                         const Cancel& cancel) const;

  private:
    std::string m_socket_path;
    std::chrono::milliseconds m_answer_timeout;
    WaitObserver m_observer;
};

// One open response whose body is read later without blocking. Owns the socket.
class EngineConnection {
  public:
    enum class ReadState { would_block, finished };

    virtual ~EngineConnection() = default;
    virtual int status() const = 0;
    // The socket: readable (POLLIN) when body bytes or EOF may be available.
    virtual int fd() const = 0;
    // Reads whatever body bytes are available into `sink` without blocking. `finished` once
    // the body ended or the connection broke (then `error()` says why, if it was an error).
    virtual ReadState read_available(const std::function<void(std::string_view)>& sink) = 0;
    virtual std::string error() const = 0;
};

// Percent-encodes a query value (everything outside A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view value);
// Percent-encodes a path segment holding an image reference or container id; keeps the
// `/`, `:` and `@` that Docker's router expects inside /images/{name}/json.
std::string url_encode_path(std::string_view value);

}  // namespace stagehand::os
