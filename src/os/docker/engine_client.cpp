#include "os/docker/engine_client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <limits>

namespace stagehand::os {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Socket = asio::local::stream_protocol::socket;

namespace {

constexpr std::string_view k_default_socket = "/var/run/docker.sock";
constexpr std::size_t k_read_chunk = 16 * 1024;

// How often a request waiting on the daemon tells the WaitObserver.
constexpr std::chrono::milliseconds k_observe_every{1000};

// How one blocking step ended.
struct OpResult {
    error_code ec;
    bool timed_out = false;   // the caller's deadline passed
    bool unanswered = false;  // the daemon was silent for the whole answer timeout
    bool cancelled = false;
    bool failed() const { return timed_out || unanswered || cancelled || ec; }
};

// "10s", "400ms"
std::string format_wait(std::chrono::milliseconds wait) {
    return wait.count() % 1000 == 0 ? std::to_string(wait.count() / 1000) + "s"
                                    : std::to_string(wait.count()) + "ms";
}

// "GET /containers/json": the request without its query (filters are long and say little).
std::string describe_request(const EngineRequest& request) {
    return request.method + " " + request.target.substr(0, request.target.find('?'));
}

// The fix an operator needs for the usual connect failures.
std::string connect_hint(const error_code& ec) {
    if (ec == asio::error::access_denied) {
        return " (run as root or as a member of the docker group)";
    }
    return " (is dockerd running? start it with `systemctl start docker`; set "
           "DOCKER_HOST=unix://PATH if it listens on another socket)";
}

class AsioConnection final : public EngineConnection {
  public:
    // `observer` may be null; it must outlive the connection.
    AsioConnection(std::string socket_path, std::chrono::milliseconds answer_timeout,
                   const WaitObserver* observer)
        : m_socket(m_ioc),
          m_socket_path(std::move(socket_path)),
          m_answer_timeout(answer_timeout),
          m_observer(observer) {
        // Pull progress and events are unbounded streams; EngineClient caps what it keeps.
        // Not boost::none: Beast 1.74 compares the Content-Length against the empty optional
        // and then fails every sized body with "body limit exceeded".
        m_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    }

    util::Status open(const EngineRequest& request, MonoTime deadline, const Cancel& cancel);
    util::Status read_body(const BodySink& sink, MonoTime deadline, const Cancel& cancel);

    int status() const override { return static_cast<int>(m_parser.get().result_int()); }
    int fd() const override { return m_fd; }
    ReadState read_available(const std::function<void(std::string_view)>& sink) override;
    std::string error() const override { return m_error; }

  private:
    template <class Start>
    OpResult run(Start&& start, MonoTime deadline, const Cancel& cancel);
    util::Error fail(std::string_view what, const OpResult& result) const;
    // Points the parser's body at `buf` for the next read.
    void offer(std::array<char, k_read_chunk>& buf) {
        m_parser.get().body().data = buf.data();
        m_parser.get().body().size = buf.size();
        m_parser.get().body().more = true;
    }
    std::size_t taken(const std::array<char, k_read_chunk>& buf) const {
        return buf.size() - m_parser.get().body().size;
    }

    asio::io_context m_ioc;
    Socket m_socket;
    boost::beast::flat_buffer m_buffer;
    http::response_parser<http::buffer_body> m_parser;
    std::string m_socket_path;
    std::chrono::milliseconds m_answer_timeout;
    const WaitObserver* m_observer;
    std::string m_what;      // "GET /_ping", for messages
    bool m_patient = false;  // EngineRequest::patient
    std::string m_error;
    int m_fd = -1;  // the socket's, once connected
    bool m_finished = false;
};

// Runs one asynchronous operation to completion, the deadline, the answer timeout or Cancel,
// whichever comes first. On timeout or cancel the socket is closed, which aborts the
// operation: the connection is then unusable, which is what the caller wants.
template <class Start>
OpResult AsioConnection::run(Start&& start, MonoTime deadline, const Cancel& cancel) {
    OpResult result;
    if (cancel.fired()) {
        result.cancelled = true;
        return result;
    }
    // The descriptor object owns (and closes) its fd, so it watches a duplicate of Cancel's.
    const int watch_fd = ::fcntl(cancel.fd(), F_DUPFD_CLOEXEC, 0);
    if (watch_fd < 0) {
        result.ec = error_code(errno, boost::system::system_category());
        return result;
    }
    m_ioc.restart();
    const MonoTime began = std::chrono::steady_clock::now();
    const MonoTime silent_until = began + m_answer_timeout;
    const bool bounded = !m_patient && silent_until < deadline;
    asio::steady_timer timer(m_ioc, bounded ? silent_until : deadline);
    asio::steady_timer tick(m_ioc);
    asio::posix::stream_descriptor watch(m_ioc, watch_fd);
    bool done = false;
    auto abort = [&](bool& flag) {
        if (!done) {
            flag = true;
            error_code ignored;
            m_socket.close(ignored);
        }
    };
    timer.async_wait([&](const error_code& ec) {
        if (!ec) {
            abort(bounded ? result.unanswered : result.timed_out);
        }
    });
    // Progress while the daemon is silent (SPEC section 2: a wait says what it waits for).
    std::function<void()> arm_tick = [&] {
        tick.expires_after(k_observe_every);
        tick.async_wait([&](const error_code& ec) {
            if (!ec && !done) {
                (*m_observer)(m_what, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - began));
                arm_tick();
            }
        });
    };
    if (m_observer != nullptr && *m_observer) {
        arm_tick();
    }
    watch.async_wait(asio::posix::descriptor_base::wait_read, [&](const error_code& ec) {
        if (!ec) {
            abort(result.cancelled);
        }
    });
    start([&](const error_code& ec) {
        result.ec = ec;
        done = true;
        timer.cancel();
        tick.cancel();
        watch.cancel();
    });
    m_ioc.run();
    return result;
}

util::Error AsioConnection::fail(std::string_view what, const OpResult& result) const {
    std::string message = "Docker daemon at " + m_socket_path + ": " + std::string(what) + ": ";
    if (result.cancelled) {
        return util::Error{message + "cancelled", ECANCELED};
    }
    if (result.unanswered) {
        return util::Error{"Docker daemon at " + m_socket_path + " did not answer for " +
                               format_wait(m_answer_timeout) + " (" + m_what + ")",
                           k_daemon_unresponsive};
    }
    if (result.timed_out) {
        return util::Error{message + "timed out (the daemon did not answer in time)", ETIMEDOUT};
    }
    return util::Error{message + result.ec.message(), result.ec.value()};
}

util::Status AsioConnection::open(const EngineRequest& request, MonoTime deadline,
                                  const Cancel& cancel) {
    m_what = describe_request(request);
    m_patient = request.patient;
    const asio::local::stream_protocol::endpoint endpoint(m_socket_path);
    OpResult result = run(
        [&](auto complete) {
            m_socket.async_connect(endpoint, [complete](const error_code& ec) { complete(ec); });
        },
        deadline, cancel);
    if (result.failed()) {
        if (result.ec && !result.timed_out && !result.unanswered && !result.cancelled) {
            return util::Error{"Docker daemon is not reachable at " + m_socket_path + ": " +
                                   result.ec.message() + connect_hint(result.ec),
                               result.ec.value()};
        }
        return fail("connect", result);
    }
    m_fd = m_socket.native_handle();
    http::request<http::empty_body> req{http::string_to_verb(request.method), request.target, 11};
    req.set(http::field::host, "docker");  // Docker ignores it, HTTP/1.1 requires it
    req.set(http::field::user_agent, "stagehand");
    for (const auto& [name, value] : request.headers) {
        req.set(name, value);
    }
    req.keep_alive(false);
    req.prepare_payload();
    result = run(
        [&](auto complete) {
            http::async_write(m_socket, req,
                              [complete](const error_code& ec, std::size_t) { complete(ec); });
        },
        deadline, cancel);
    if (result.failed()) {
        return fail("sending " + request.method + " " + request.target, result);
    }
    result = run(
        [&](auto complete) {
            http::async_read_header(
                m_socket, m_buffer, m_parser,
                [complete](const error_code& ec, std::size_t) { complete(ec); });
        },
        deadline, cancel);
    if (result.failed()) {
        return fail("reading the answer to " + request.method + " " + request.target, result);
    }
    return {};
}

util::Status AsioConnection::read_body(const BodySink& sink, MonoTime deadline,
                                       const Cancel& cancel) {
    std::array<char, k_read_chunk> buf{};
    while (!m_parser.is_done()) {
        offer(buf);
        OpResult result = run(
            [&](auto complete) {
                http::async_read_some(
                    m_socket, m_buffer, m_parser,
                    [complete](const error_code& ec, std::size_t) { complete(ec); });
            },
            deadline, cancel);
        if (result.ec == http::error::need_buffer) {
            result.ec = {};
        }
        const std::size_t got = taken(buf);
        if (got > 0 && !sink(std::string_view(buf.data(), got))) {
            return {};
        }
        if (result.failed()) {
            return fail("reading the response body", result);
        }
    }
    return {};
}

EngineConnection::ReadState AsioConnection::read_available(
    const std::function<void(std::string_view)>& sink) {
    std::array<char, k_read_chunk> buf{};
    if (!m_finished && !m_socket.non_blocking()) {
        error_code ec;
        m_socket.non_blocking(true, ec);  // else Asio's synchronous read would block
    }
    while (!m_finished) {
        offer(buf);
        error_code ec;
        http::read_some(m_socket, m_buffer, m_parser, ec);
        const std::size_t got = taken(buf);
        if (got > 0) {
            sink(std::string_view(buf.data(), got));
        }
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            return ReadState::would_block;
        }
        if (ec && ec != http::error::need_buffer) {
            m_error = "Docker daemon at " + m_socket_path + ": event stream: " + ec.message();
            m_finished = true;
        } else if (m_parser.is_done()) {
            m_finished = true;
        }
    }
    return ReadState::finished;
}

std::string encode(std::string_view value, std::string_view keep) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                           (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                           keep.find(c) != std::string_view::npos;
        if (plain) {
            out += c;
        } else {
            out += '%';
            out += k_hex[u >> 4];
            out += k_hex[u & 0xF];
        }
    }
    return out;
}

// Asio reports resource exhaustion (no fd for epoll or a socket) by throwing; callers of
// EngineClient get a Result like for any other failure.
template <class Fn>
auto guarded(const std::string& socket_path, Fn&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::exception& e) {
        return util::Error{"Docker daemon at " + socket_path + ": " + e.what(), EIO};
    }
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

std::string url_encode(std::string_view value) {
    return encode(value, "");
}

std::string url_encode_path(std::string_view value) {
    return encode(value, "/:@");
}

util::Result<std::unique_ptr<EngineConnection>> EngineClient::open(const EngineRequest& request,
                                                                   MonoTime deadline,
                                                                   const Cancel& cancel) const {
    return guarded(m_socket_path, [&]() -> util::Result<std::unique_ptr<EngineConnection>> {
        auto connection =
            std::make_unique<AsioConnection>(m_socket_path, m_answer_timeout, &m_observer);
        if (auto status = connection->open(request, deadline, cancel); !status) {
            return status.error();
        }
        return std::unique_ptr<EngineConnection>(std::move(connection));
    });
}

util::Result<EngineResponse> EngineClient::stream(const EngineRequest& request,
                                                  const BodySink& sink, MonoTime deadline,
                                                  const Cancel& cancel) const {
    return guarded(m_socket_path, [&]() -> util::Result<EngineResponse> {
        AsioConnection connection(m_socket_path, m_answer_timeout, &m_observer);
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
    });
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
