// PosixLineStream: a long-running child (`docker events`) read line by line.

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "os/process/child.hpp"
#include "os/process/tail_buffer.hpp"

namespace stagehand::os {

namespace {

class PosixLineStream final : public LineStream {
  public:
    // `epoll` already watches both pipes (see make_line_stream).
    PosixLineStream(SpawnedChild spawned, UniqueFd epoll, std::size_t max_line,
                    std::chrono::milliseconds grace)
        : m_child(std::move(spawned.child)),
          m_out(std::move(spawned.out)),
          m_err(std::move(spawned.err)),
          m_epoll(std::move(epoll)),
          m_err_tail(max_line),
          m_max_line(max_line == 0 ? 1 : max_line),
          m_grace(grace) {}

    ~PosixLineStream() override {
        if (!m_child.reaped()) {
            end_group(m_child, m_grace, [this](int ms) { wait_readable(ms); });
        }
    }

    PosixLineStream(const PosixLineStream&) = delete;
    PosixLineStream& operator=(const PosixLineStream&) = delete;

    // After stdout's EOF the stdout pipe stays registered: it polls readable (EPOLLHUP)
    // for good, so the caller wakes and calls finished().
    int fd() const override { return m_epoll.get(); }

    std::vector<std::string> take_lines() override {
        pump();
        return std::exchange(m_lines, {});
    }

    bool finished() override {
        if (m_child.reaped()) {
            return true;
        }
        pump();
        if (!m_out_eof) {
            return false;
        }
        // stdout closed: the child is done talking to us. It is normally exiting already;
        // one that lingers gets the same TERM / grace / KILL as the destructor.
        const MonoTime give_up = std::chrono::steady_clock::now() + m_grace;
        while (!m_child.has_exited() && millis_until(give_up, 1) > 0) {
            wait_readable(millis_until(give_up, 10));
            pump();
        }
        const int status = m_child.has_exited()
                               ? reap_and_end_group(m_child)
                               : end_group(m_child, m_grace, [this](int ms) { wait_readable(ms); });
        pump();
        apply_wait_status(status, m_outcome);
        m_outcome.err = m_err_tail.take();
        return true;
    }

    ProcessOutcome outcome() const override { return m_outcome; }

  private:
    void wait_readable(int timeout_ms) {
        if (m_out_eof) {
            // stdout's EOF keeps the epoll fd readable for good: waiting on it would spin.
            (void)::poll(nullptr, 0, timeout_ms);
        } else {
            epoll_event ev{};
            (void)::epoll_wait(m_epoll.get(), &ev, 1, timeout_ms);
        }
        pump();
    }

    // Reads whatever both pipes hold, without blocking.
    void pump() {
        char buf[16 * 1024];
        while (!m_out_eof) {
            const ssize_t n = read_some(m_out.get(), buf, sizeof buf);
            if (n <= 0) {
                m_out_eof = n == 0;
                break;
            }
            split_lines(std::string_view(buf, static_cast<std::size_t>(n)));
        }
        if (m_out_eof && !m_partial.empty()) {
            m_lines.push_back(std::exchange(m_partial, {}));
        }
        while (m_err) {
            const ssize_t n = read_some(m_err.get(), buf, sizeof buf);
            if (n <= 0) {
                if (n == 0) {
                    // Unregister before closing, or an EOF'd stderr would wake callers forever.
                    (void)::epoll_ctl(m_epoll.get(), EPOLL_CTL_DEL, m_err.get(), nullptr);
                    m_err.reset();
                }
                break;
            }
            m_err_tail.append(std::string_view(buf, static_cast<std::size_t>(n)));
        }
    }

    // > 0 bytes read; 0 EOF (or a read error, which ends the stream the same way); -1 empty.
    static ssize_t read_some(int fd, char* buf, std::size_t size) {
        for (;;) {
            const ssize_t n = ::read(fd, buf, size);
            if (n >= 0) {
                return n;
            }
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? -1 : 0;
        }
    }

    void split_lines(std::string_view chunk) {
        while (!chunk.empty()) {
            const auto nl = chunk.find('\n');
            m_partial.append(chunk.substr(0, nl));
            while (m_partial.size() > m_max_line) {
                // A line without end (or a flood) is cut rather than held in memory.
                m_lines.push_back(m_partial.substr(0, m_max_line));
                m_partial.erase(0, m_max_line);
            }
            if (nl == std::string_view::npos) {
                return;
            }
            m_lines.push_back(std::exchange(m_partial, {}));
            chunk.remove_prefix(nl + 1);
        }
    }

    ChildGroup m_child;
    UniqueFd m_out;
    UniqueFd m_err;
    UniqueFd m_epoll;
    TailBuffer m_err_tail;
    std::size_t m_max_line;
    std::chrono::milliseconds m_grace;
    bool m_out_eof = false;
    std::string m_partial;
    std::vector<std::string> m_lines;
    ProcessOutcome m_outcome;
};

}  // namespace

util::Result<std::unique_ptr<LineStream>> make_line_stream(SpawnedChild spawned,
                                                           std::size_t max_line,
                                                           std::chrono::milliseconds grace) {
    // One fd for callers to poll that covers both pipes, so a chatty stderr is read (and
    // cannot fill up and block the child) even while stdout is quiet.
    UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll) {
        return util::errno_error("failed to create an epoll fd", errno);
    }
    for (int fd : {spawned.out.get(), spawned.err.get()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
            return util::errno_error("failed to watch a pipe with epoll", errno);
        }
    }
    return std::unique_ptr<LineStream>(
        std::make_unique<PosixLineStream>(std::move(spawned), std::move(epoll), max_line, grace));
}

}  // namespace stagehand::os
