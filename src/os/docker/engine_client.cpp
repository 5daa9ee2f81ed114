#include "os/docker/engine_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <utility>

#include "core/load/units.hpp"  // format_duration
#include "os/docker/engine_wire.hpp"
#include "os/net/tcp.hpp"  // send_all
#include "os/sys/unique_fd.hpp"
#include "os/sys/wait.hpp"

namespace stagehand::os {

namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

constexpr std::string_view k_default_socket = "/var/run/docker.sock";
constexpr std::size_t k_read_chunk = 16 * 1024;

// How often a request waiting on the daemon tells the WaitObserver.
constexpr std::chrono::milliseconds k_observe_every{1000};
// A unix socket whose accept queue is full refuses a non-blocking connect with EAGAIN (it is
// not "in progress", so there is nothing to wait on): we try again this often.
constexpr std::chrono::milliseconds k_connect_retry{10};

// How a wait on the daemon ended, when it did not end with the socket ready. `frozen`: a
// patient request's daemon did not answer a ping either (the ping's error says so).
enum class Stall { timed_out, unanswered, cancelled, frozen };

// "GET /containers/json": the request without its query (filters are long and say little).
std::string describe_request(const EngineRequest& request) {
    return request.method + " " + request.target.substr(0, request.target.find('?'));
}

// The fix an operator needs for the usual connect failures.
std::string connect_hint(int err) {
    if (err == EACCES) {
        return " (run as root or as a member of the docker group)";
    }
    return " (is dockerd running? start it with `systemctl start docker`; set "
           "DOCKER_HOST=unix://PATH if it listens on another socket)";
}

// One request on its own unix-socket connection. Every wait goes through os::wait_any, under
// the caller's deadline, Cancel and the answer timeout (the daemon silent that long).
class SocketConnection final : public EngineConnection {
  public:
    // `observer` may be null; it must outlive the connection.
    SocketConnection(std::string socket_path, std::chrono::milliseconds answer_timeout,
                     const WaitObserver* observer)
        : m_socket_path(std::move(socket_path)),
          m_answer_timeout(answer_timeout),
          m_observer(observer) {}

    util::Status open(const EngineRequest& request, MonoTime deadline, const Cancel& cancel);
    util::Status read_body(const BodySink& sink, MonoTime deadline, const Cancel& cancel);

    int status() const override { return m_parser.status; }
    int fd() const override { return m_fd.get(); }
    ReadState read_available(const std::function<void(std::string_view)>& sink) override;
    std::string error() const override { return m_error; }

  private:
    util::Status connect(MonoTime deadline, const Cancel& cancel);
    // Waits until the socket is readable, telling the observer each second; a Stall when the
    // deadline, the answer timeout (counted from `quiet_since`) or Cancel came first.
    std::optional<Stall> await_readable(MonoTime quiet_since, MonoTime deadline,
                                        const Cancel& cancel) const;
    // The end of a wait that began at `quiet_since`, and whether it is the answer timeout.
    std::pair<MonoTime, bool> wait_end(MonoTime quiet_since, MonoTime deadline) const;
    util::Error fail(std::string_view what, Stall stall) const;
    // For a patient request: a ping on a connection of its own; the error when the daemon
    // does not answer it either (frozen, not waiting on a registry), nullopt when it does.
    std::optional<util::Error> daemon_frozen(MonoTime deadline, const Cancel& cancel) const;
    util::Error fail(std::string_view what, const error_code& ec) const {
        return util::Error{
            "Docker daemon at " + m_socket_path + ": " + std::string(what) + ": " + ec.message(),
            ec.value()};
    }
    // Reads what the socket holds (without blocking) and feeds it to the parser. Returns
    // would_block when nothing more is there now; an error (or EOF) ends the message.
    error_code receive(bool& would_block);
    // Hands the bytes in m_pending to the parser, as far as it takes them.
    error_code feed();

    UniqueFd m_fd;
    EngineResponseParser m_parser;
    std::string m_pending;         // received, not yet taken by the parser (an incomplete head)
    std::uint64_t m_received = 0;  // bytes received so far
    std::string m_socket_path;
    std::chrono::milliseconds m_answer_timeout;
    const WaitObserver* m_observer;
    std::string m_what;      // "GET /_ping", for messages
    bool m_patient = false;  // EngineRequest::patient
    std::string m_error;
    bool m_finished = false;
    mutable std::optional<util::Error> m_frozen;  // the ping's error behind Stall::frozen
};

std::pair<MonoTime, bool> SocketConnection::wait_end(MonoTime quiet_since,
                                                     MonoTime deadline) const {
    const MonoTime silent_until = quiet_since + m_answer_timeout;
    const bool bounded = !m_patient && silent_until < deadline;
    return {bounded ? silent_until : deadline, bounded};
}

std::optional<util::Error> SocketConnection::daemon_frozen(MonoTime deadline,
                                                           const Cancel& cancel) const {
    SocketConnection ping(m_socket_path, m_answer_timeout, m_observer);
    auto answered = ping.open(EngineRequest{"GET", "/_ping", {}, false}, deadline, cancel);
    if (answered || answered.error().code != k_daemon_unresponsive) {
        return std::nullopt;  // alive (or gone: the request's own socket then ends)
    }
    auto error = std::move(answered).error();
    error.message += " while " + m_what + " waited";
    return error;
}

std::optional<Stall> SocketConnection::await_readable(MonoTime quiet_since, MonoTime deadline,
                                                      const Cancel& cancel) const {
    const auto [end, bounded] = wait_end(quiet_since, deadline);
    const bool observed = m_observer != nullptr && *m_observer;
    // A patient request (a pull) is silent while the registry is slow, and as silent when
    // the daemon froze (a frozen dockerd held a pull until the run's deadline): after each
    // answer timeout of silence the daemon is pinged on its own connection.
    MonoTime next_ping = quiet_since + m_answer_timeout;
    for (;;) {
        const auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - quiet_since);
        const MonoTime tick = quiet_since + (silent / k_observe_every + 1) * k_observe_every;
        MonoTime wake = observed ? std::min(end, tick) : end;
        wake = m_patient ? std::min(wake, next_ping) : wake;
        pollfd entry{m_fd.get(), POLLIN, 0};
        const auto waited = wait_any(std::span<pollfd>(&entry, 1), wake, cancel);
        if (waited) {
            return std::nullopt;
        }
        if (waited.error().code == ECANCELED) {
            return Stall::cancelled;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return bounded ? Stall::unanswered : Stall::timed_out;
        }
        if (m_patient && std::chrono::steady_clock::now() >= next_ping) {
            if ((m_frozen = daemon_frozen(deadline, cancel))) {
                return Stall::frozen;
            }
            if (cancel.fired()) {
                return Stall::cancelled;
            }
            next_ping = std::chrono::steady_clock::now() + m_answer_timeout;
            continue;
        }
        // The tick: progress while the daemon is silent. (A failing poll(2), which takes only
        // valid fds here, goes round again and is still bounded by `end`.)
        if (waited.error().code == ETIMEDOUT && observed) {
            (*m_observer)(m_what, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - quiet_since));
        }
    }
}

util::Error SocketConnection::fail(std::string_view what, Stall stall) const {
    const std::string message =
        "Docker daemon at " + m_socket_path + ": " + std::string(what) + ": ";
    switch (stall) {
        case Stall::cancelled:
            return util::Error{message + "cancelled", ECANCELED};
        case Stall::unanswered:
            return util::Error{"Docker daemon at " + m_socket_path + " did not answer for " +
                                   core::format_duration(m_answer_timeout) + " (" + m_what + ")",
                               k_daemon_unresponsive};
        case Stall::frozen:
            return *m_frozen;
        case Stall::timed_out:
            break;
    }
    return util::Error{message + "timed out (the daemon did not answer in time)", ETIMEDOUT};
}

util::Status SocketConnection::connect(MonoTime deadline, const Cancel& cancel) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (m_socket_path.size() >= sizeof address.sun_path) {
        return util::Error{"Docker daemon socket path is too long: " + m_socket_path, ENAMETOOLONG};
    }
    std::memcpy(address.sun_path, m_socket_path.data(), m_socket_path.size());
    m_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!m_fd.valid()) {
        return util::errno_error("Docker daemon at " + m_socket_path + ": socket", errno);
    }
    const auto [end, bounded] = wait_end(std::chrono::steady_clock::now(), deadline);
    for (;;) {
        if (::connect(m_fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
            0) {
            return {};
        }
        const int err = errno;
        if (err != EAGAIN && err != EINTR) {
            return util::Error{"Docker daemon is not reachable at " + m_socket_path + ": " +
                                   std::strerror(err) + connect_hint(err),
                               err};
        }
        const auto retry = std::min(end, std::chrono::steady_clock::now() + k_connect_retry);
        if (const auto slept = wait_any({}, retry, cancel);
            !slept && slept.error().code == ECANCELED) {
            return fail("connect", Stall::cancelled);
        }
        if (std::chrono::steady_clock::now() >= end) {
            return fail("connect", bounded ? Stall::unanswered : Stall::timed_out);
        }
    }
}

util::Status SocketConnection::open(const EngineRequest& request, MonoTime deadline,
                                    const Cancel& cancel) {
    m_what = describe_request(request);
    m_patient = request.patient;
    if (cancel.fired()) {
        return fail("connect", Stall::cancelled);
    }
    if (auto connected = connect(deadline, cancel); !connected) {
        return connected;
    }
    // The request is a few hundred bytes: a socket buffer takes it whole unless the daemon
    // stopped reading, which the answer timeout covers.
    const auto [send_end, bounded] = wait_end(std::chrono::steady_clock::now(), deadline);
    const std::string sending = "sending " + request.method + " " + request.target;
    if (auto sent = send_all(m_fd.get(), engine_request_text(request), send_end, cancel); !sent) {
        if (sent.error().code == ECANCELED || sent.error().code == ETIMEDOUT) {
            return fail(sending, sent.error().code == ECANCELED ? Stall::cancelled
                                 : bounded                      ? Stall::unanswered
                                                                : Stall::timed_out);
        }
        return util::Error{
            "Docker daemon at " + m_socket_path + ": " + sending + ": " + sent.error().message,
            sent.error().code};
    }
    const std::string reading = "reading the answer to " + request.method + " " + request.target;
    MonoTime quiet_since = std::chrono::steady_clock::now();
    while (!m_parser.is_header_done()) {
        if (const auto stall = await_readable(quiet_since, deadline, cancel)) {
            return fail(reading, *stall);
        }
        const std::uint64_t before = m_received;
        bool would_block = false;
        if (const error_code ec = receive(would_block); ec) {
            return fail(reading, ec);
        }
        if (m_received != before) {  // the daemon spoke: its silence starts anew
            quiet_since = std::chrono::steady_clock::now();
        }
    }
    return {};
}

util::Status SocketConnection::read_body(const BodySink& sink, MonoTime deadline,
                                         const Cancel& cancel) {
    m_parser.sink = &sink;
    if (const error_code ec = feed(); ec && !m_parser.stopped) {  // body bytes after the head
        return fail("reading the response body", ec);
    }
    MonoTime quiet_since = std::chrono::steady_clock::now();
    while (!m_parser.is_done() && !m_parser.stopped) {
        if (const auto stall = await_readable(quiet_since, deadline, cancel)) {
            return fail("reading the response body", *stall);
        }
        const std::uint64_t before = m_received;
        bool would_block = false;
        if (const error_code ec = receive(would_block); ec && !m_parser.stopped) {
            return fail("reading the response body", ec);
        }
        if (m_received != before) {
            quiet_since = std::chrono::steady_clock::now();
        }
    }
    return {};
}

error_code SocketConnection::feed() {
    // Without a sink the body stays in m_pending until read_body() or read_available().
    while (!m_pending.empty() && !m_parser.is_done() &&
           !(m_parser.sink == nullptr && m_parser.is_header_done())) {
        error_code ec;
        const std::size_t used =
            m_parser.put(boost::asio::const_buffer(m_pending.data(), m_pending.size()), ec);
        m_pending.erase(0, used);
        if (ec == http::error::need_more) {
            return {};
        }
        if (ec) {
            return ec;
        }
        if (used == 0) {
            return {};
        }
    }
    return {};
}

error_code SocketConnection::receive(bool& would_block) {
    char buf[k_read_chunk];
    for (;;) {
        const ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            would_block = true;
            return {};
        }
        if (n < 0) {
            return error_code(errno, boost::system::system_category());
        }
        if (n == 0) {
            // Beast's read_some at EOF: "end of stream" before any byte, else the parser
            // judges (a body that runs to the close ends there; anything else is partial).
            if (!m_parser.got_some() && m_pending.empty()) {
                return http::error::end_of_stream;
            }
            error_code ec = feed();
            if (!ec && !m_parser.is_done()) {
                m_parser.put_eof(ec);
            }
            return ec ? ec : (m_parser.is_done() ? error_code{} : http::error::partial_message);
        }
        m_received += static_cast<std::uint64_t>(n);
        m_pending.append(buf, static_cast<std::size_t>(n));
        if (error_code ec = feed(); ec || m_parser.is_done() || m_parser.is_header_done()) {
            return ec;
        }
    }
}

EngineConnection::ReadState SocketConnection::read_available(
    const std::function<void(std::string_view)>& sink) {
    const BodySink all = [&](std::string_view piece) {
        sink(piece);
        return true;
    };
    m_parser.sink = &all;
    if (const error_code ec = feed(); ec) {  // what came with the head
        m_error = "Docker daemon at " + m_socket_path + ": event stream: " + ec.message();
        m_finished = true;
    }
    while (!m_finished && !m_parser.is_done()) {
        bool would_block = false;
        const error_code ec = receive(would_block);
        if (ec) {
            m_error = "Docker daemon at " + m_socket_path + ": event stream: " + ec.message();
            m_finished = true;
        } else if (m_parser.is_done()) {
            m_finished = true;
        } else if (would_block) {
            break;
        }
    }
    m_parser.sink = nullptr;
    m_finished = m_finished || m_parser.is_done();
    return m_finished ? ReadState::finished : ReadState::would_block;
}

}  // namespace

util::Result<std::string> docker_socket_path(const char* docker_host) {
    if (docker_host == nullptr || *docker_host == '\0') {
        return std::string(k_default_socket);
    }
    const std::string_view host(docker_host);
    constexpr std::string_view k_unix = "unix://";
    if (host.substr(0, k_unix.size()) == k_unix && host.size() > k_unix.size()) {
        return std::string(host.substr(k_unix.size()));
    }
    return util::Error{"DOCKER_HOST=" + std::string(host) +
                       " is not supported: stagehand talks to the local Docker daemon over its "
                       "unix socket (unset DOCKER_HOST or set it to unix:///PATH)"};
}

util::Result<std::unique_ptr<EngineConnection>> EngineClient::open(const EngineRequest& request,
                                                                   MonoTime deadline,
                                                                   const Cancel& cancel) const {
    auto connection =
        std::make_unique<SocketConnection>(m_socket_path, m_answer_timeout, &m_observer);
    if (auto status = connection->open(request, deadline, cancel); !status) {
        return status.error();
    }
    return std::unique_ptr<EngineConnection>(std::move(connection));
}

util::Result<EngineResponse> EngineClient::stream(const EngineRequest& request,
                                                  const BodySink& sink, MonoTime deadline,
                                                  const Cancel& cancel) const {
    SocketConnection connection(m_socket_path, m_answer_timeout, &m_observer);
    if (auto status = connection.open(request, deadline, cancel); !status) {
        return status.error();
    }
    EngineResponse response;
    response.status = connection.status();
    const bool success = response.status >= 200 && response.status < 300;
    constexpr std::size_t k_error_body_max = 64 * 1024;
    const BodySink keep_error = [&](std::string_view piece) {
        response.body.append(piece.substr(0, k_error_body_max - response.body.size()));
        response.truncated = response.truncated || response.body.size() >= k_error_body_max;
        return !response.truncated;
    };
    if (auto status = connection.read_body(success ? sink : keep_error, deadline, cancel);
        !status) {
        return status.error();
    }
    return response;
}

util::Result<EngineResponse> EngineClient::request(const EngineRequest& request, MonoTime deadline,
                                                   const Cancel& cancel,
                                                   std::size_t max_body) const {
    EngineResponse response;
    const BodySink keep_tail = [&](std::string_view piece) {
        response.body.append(piece);
        if (response.body.size() > max_body) {
            response.body.erase(0, response.body.size() - max_body);
            response.truncated = true;
        }
        return true;
    };
    auto streamed = stream(request, keep_tail, deadline, cancel);
    if (!streamed) {
        return streamed.error();
    }
    if (streamed->status < 200 || streamed->status >= 300) {
        return std::move(streamed).value();
    }
    response.status = streamed->status;
    return response;
}

}  // namespace stagehand::os
