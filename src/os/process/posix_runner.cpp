#include "os/process/posix_runner.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <span>

#include "os/process/child.hpp"
#include "os/process/tail_buffer.hpp"
#include "os/sys/wait.hpp"

namespace stagehand::os {

namespace {

// How often we look for an exited leader while its pipes are still open. No pidfd (Linux
// 5.3+; Amazon Linux 2 runs 4.14) and SIGCHLD is process-wide, so we look now and then.
constexpr std::chrono::milliseconds k_exit_check{100};
// Once its pipes have closed the leader is exiting: we look after 1, 2, 4 ... up to this.
constexpr std::chrono::milliseconds k_exiting_check_max{50};
// A grandchild that outlives the leader may hold the pipes open forever: after the leader
// exits we keep reading this long, then stop listening.
constexpr std::chrono::milliseconds k_drain_after_exit{100};
// Reads per drain() call, so a child that writes without pause cannot starve the wait loop.
constexpr int k_reads_per_drain = 16;

// A child's stdout and stderr, read into tail buffers.
class Capture {
  public:
    Capture(UniqueFd out, UniqueFd err, std::size_t cap)
        : m_out{std::move(out), TailBuffer(cap)}, m_err{std::move(err), TailBuffer(cap)} {}

    bool open() const { return m_out.fd.valid() || m_err.fd.valid(); }

    // Waits until output arrives on either pipe, `until` passes or `cancel` (null: none)
    // fires, and reads what is there. False once `cancel` has fired.
    bool pump(MonoTime until, const Cancel* cancel) {
        pollfd fds[2];
        std::size_t count = 0;
        for (Stream* s : {&m_out, &m_err}) {
            if (s->fd.valid()) {
                fds[count++] = pollfd{s->fd.get(), POLLIN, 0};
            }
        }
        const std::span<pollfd> pipes(fds, count);
        const util::Status woke =
            cancel != nullptr ? wait_any(pipes, until, *cancel) : wait_any(pipes, until);
        if (!woke && woke.error().code == ECANCELED) {
            return false;
        }
        // Output, or `until` passed (or poll failed): the caller's loop re-checks the child
        // and its deadline; a read on an empty pipe costs one EAGAIN.
        drain(m_out);
        drain(m_err);
        return true;
    }

    void finish(ProcessOutcome& outcome) {
        outcome.out = m_out.buf.take();
        outcome.err = m_err.buf.take();
    }

  private:
    struct Stream {
        UniqueFd fd;
        TailBuffer buf;
    };

    // Reads until the pipe is empty (EAGAIN); closes it on EOF or a read error.
    static void drain(Stream& s) {
        char buf[64 * 1024];
        for (int i = 0; s.fd.valid() && i < k_reads_per_drain; ++i) {
            const ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
            if (n > 0) {
                s.buf.append(std::string_view(buf, static_cast<std::size_t>(n)));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                return;
            } else {
                s.fd.reset();
            }
        }
    }

    Stream m_out;
    Stream m_err;
};

enum class Ending { exited, deadline, cancelled, stopped };

constexpr std::chrono::milliseconds k_watchdog_every{1000};

// Asks spec.watchdog (when set) once its next turn has come; its answer, "" to go on.
class Watchdog {
  public:
    explicit Watchdog(const ProcessSpec& spec)
        : m_ask(spec.watchdog), m_began(std::chrono::steady_clock::now()) {}
    std::string check(MonoTime now) {
        if (!m_ask || now < m_next) {
            return {};
        }
        m_next = now + k_watchdog_every;
        return m_ask(std::chrono::duration_cast<std::chrono::milliseconds>(now - m_began));
    }

  private:
    const std::function<std::string(std::chrono::milliseconds)>& m_ask;
    MonoTime m_began;
    MonoTime m_next = m_began + k_watchdog_every;
};

// When the wait loop looks at the leader again (capped by the caller's deadline).
MonoTime next_look(bool pipes_open, bool exited, MonoTime now, std::optional<MonoTime> drain_until,
                   std::chrono::milliseconds& tick) {
    if (exited && drain_until) {
        return std::min(*drain_until, now + k_exit_check);
    }
    if (!pipes_open) {
        // Pipes closed: the leader is exiting right now, so look again soon.
        const MonoTime at = now + tick;
        tick = std::min(tick * 2, k_exiting_check_max);
        return at;
    }
    return now + k_exit_check;
}

Ending wait_for_child(ChildGroup& child, Capture& capture, MonoTime deadline, const Cancel& cancel,
                      Watchdog& watchdog, std::string& stopped) {
    std::optional<MonoTime> drain_until;
    std::chrono::milliseconds tick{1};
    for (;;) {
        if (cancel.fired()) {
            return Ending::cancelled;
        }
        const bool exited = child.has_exited();
        if (exited && !capture.open()) {
            return Ending::exited;
        }
        const MonoTime now = std::chrono::steady_clock::now();
        if (exited) {
            if (!drain_until) {
                drain_until = now + k_drain_after_exit;
            }
            if (now >= *drain_until) {
                return Ending::exited;
            }
        }
        if (now >= deadline) {
            return Ending::deadline;
        }
        if (!exited) {
            stopped = watchdog.check(now);
            if (!stopped.empty()) {
                return Ending::stopped;
            }
        }
        const MonoTime until = next_look(capture.open(), exited, now, drain_until, tick);
        if (!capture.pump(std::min(until, deadline), &cancel)) {
            return Ending::cancelled;
        }
    }
}

}  // namespace

util::Result<ProcessOutcome> PosixProcessRunner::run(const ProcessSpec& spec, MonoTime deadline,
                                                     const Cancel& cancel) {
    auto executable = resolve_executable(spec);
    if (!executable) {
        return executable.error();
    }
    ProcessOutcome outcome;
    if (cancel.fired()) {
        outcome.cancelled = true;
        return outcome;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
        outcome.timed_out = true;
        return outcome;
    }
    auto spawned = spawn_child(*executable, spec);
    if (!spawned) {
        return spawned.error();
    }
    ChildGroup& child = spawned->child;
    Capture capture(std::move(spawned->out), std::move(spawned->err), spec.max_output);
    Watchdog watchdog(spec);
    const Ending ending =
        wait_for_child(child, capture, deadline, cancel, watchdog, outcome.stopped);
    int status = 0;
    if (ending == Ending::exited) {
        status = reap_and_end_group(child);
    } else {
        outcome.timed_out = ending == Ending::deadline;
        outcome.cancelled = ending == Ending::cancelled;
        // Cancel has fired or the deadline passed: the grace period is waited out regardless.
        status = end_group(child, m_grace, [&](MonoTime until) { capture.pump(until, nullptr); });
    }
    capture.pump(std::chrono::steady_clock::now(), nullptr);  // what the group wrote last
    apply_wait_status(status, outcome);
    capture.finish(outcome);
    return outcome;
}

}  // namespace stagehand::os
