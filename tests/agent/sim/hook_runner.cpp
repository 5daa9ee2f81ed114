#include "sim/hook_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "sim/spawn.hpp"

namespace stagehand::agent {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// hook_executor.rb, script_error_prefix: names runas when the appspec sets it.
std::string error_prefix(const HookSpec& spec) {
    std::string prefix = "Script at specified location: " + spec.location;
    if (spec.runas) {
        prefix += " run as user " + *spec.runas;
    }
    return prefix;
}

int poll_timeout(std::optional<Clock::time_point> until) {
    if (!until) {
        return -1;
    }
    const auto left = std::chrono::ceil<milliseconds>(*until - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

// One output stream, cut into lines like the agent's `stdout.each_line` reader thread.
class StreamReader {
  public:
    StreamReader(UniqueFd fd, std::string tag) : m_fd(std::move(fd)), m_tag(std::move(tag)) {}

    bool open() const { return m_fd.valid(); }
    int fd() const { return m_fd.get(); }

    // Reads what is there; logs whole lines; at EOF logs an unterminated rest and closes.
    void pump(ScriptLogger& logger, HookOutcome& outcome) {
        char buffer[65536];
        for (int round = 0; round < 16 && m_fd.valid(); ++round) {
            const ssize_t n = ::read(m_fd.get(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return;
            }
            if (n <= 0) {
                if (!m_partial.empty()) {
                    emit(m_partial, logger, outcome);
                }
                abandon();
                return;
            }
            m_partial.append(buffer, static_cast<std::size_t>(n));
            split(logger, outcome);
        }
    }

    // The agent closes its read end at the deadline: unread output and a partial line are lost,
    // and the hook's later writes fail with EPIPE.
    void abandon() {
        m_fd.reset();
        m_partial.clear();
    }

  private:
    void split(ScriptLogger& logger, HookOutcome& outcome) {
        std::size_t start = 0;
        for (std::size_t nl; (nl = m_partial.find('\n', start)) != std::string::npos;) {
            emit(std::string_view(m_partial).substr(start, nl + 1 - start), logger, outcome);
            start = nl + 1;
        }
        m_partial.erase(0, start);
    }

    void emit(std::string_view line, ScriptLogger& logger, HookOutcome& outcome) {
        ++outcome.lines;
        outcome.utf8_valid = outcome.utf8_valid && is_valid_utf8(line);
        logger.log_script("[" + m_tag + "]" + std::string(line));
    }

    UniqueFd m_fd;
    std::string m_tag;
    std::string m_partial;
};

// Watches one started hook from spawn to the agent's verdict.
class Supervisor {
  public:
    Supervisor(const HookSpec& spec, SpawnedChild child, ScriptLogger& logger, int interrupt_fd,
               HookOutcome& outcome)
        : m_spec(spec),
          m_pid(child.pid),
          m_pidfd(std::move(child.pidfd)),
          m_out(std::move(child.out), "stdout"),
          m_err(std::move(child.err), "stderr"),
          m_logger(logger),
          m_interrupt_fd(interrupt_fd),
          m_outcome(outcome),
          m_deadline(Clock::now() + std::chrono::seconds(spec.timeout_s)) {}

    void run() {
        if (pump_until_deadline()) {
            record_status();
        } else if (!m_interrupted) {
            on_deadline();
        }
        m_outcome.duration_ms =
            std::chrono::duration_cast<milliseconds>(Clock::now() - m_start).count();
        if (!m_interrupted) {
            handle_leftovers();
        }
    }

  private:
    enum class Wake { progress, interrupted };

    // One poll round over the streams (when asked), the pidfd and our interrupt signalfd.
    Wake wait_once(std::optional<Clock::time_point> until, bool streams) {
        std::vector<pollfd> fds;
        const auto watch = [&](int fd) {
            fds.push_back(pollfd{fd, POLLIN, 0});
            return fds.size() - 1;
        };
        const std::size_t none = SIZE_MAX;
        const std::size_t out = streams && m_out.open() ? watch(m_out.fd()) : none;
        const std::size_t err = streams && m_err.open() ? watch(m_err.fd()) : none;
        const std::size_t pid = !m_exited && m_pidfd.valid() ? watch(m_pidfd.get()) : none;
        const std::size_t intr = m_interrupt_fd >= 0 ? watch(m_interrupt_fd) : none;
        int timeout = poll_timeout(until);
        if (!m_exited && !m_pidfd.valid()) {
            timeout = timeout < 0 ? 20 : std::min(timeout, 20);  // no pidfd: poll for the exit
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            throw std::runtime_error(std::string("poll failed: ") + std::strerror(errno));
        }
        const auto ready = [&](std::size_t i) { return i != none && fds[i].revents != 0; };
        if (ready(intr)) {
            interrupt();
            return Wake::interrupted;
        }
        if (ready(out)) {
            m_out.pump(m_logger, m_outcome);
        }
        if (ready(err)) {
            m_err.pump(m_logger, m_outcome);
        }
        if (!m_exited && (ready(pid) || !m_pidfd.valid()) && try_reap(m_pid, m_status)) {
            m_exited = true;
        }
        return Wake::progress;
    }

    // The agent's ThreadJoiner: one deadline for the process, then stdout, then stderr.
    // True when all three finished in time.
    bool pump_until_deadline() {
        while (!(m_exited && !m_out.open() && !m_err.open())) {
            if (Clock::now() >= m_deadline) {
                return false;
            }
            if (wait_once(m_deadline, true) == Wake::interrupted) {
                return false;
            }
        }
        return true;
    }

    void on_deadline() {
        if (!m_exited) {
            // Process.kill('-TERM', pid), then popen3's ensure closes our pipe ends and joins the
            // process, however long that takes (v1).
            kill_group(SIGTERM);
            m_outcome.sigterm_sent = true;
            m_sigterm_at = Clock::now();
            abandon_streams();
            m_outcome.timed_out = true;
            fail(AgentError::timed_out, "Script at specified location: " + m_spec.location +
                                            " failed to complete in " +
                                            std::to_string(m_spec.timeout_s) + " seconds");
            wait_after_sigterm();
            return;
        }
        // The process exited but a stream is still open: no signal is sent; the agent just
        // gives up on it (and closes its end, so later writes get EPIPE).
        const char* stream = m_out.open() ? "STDOUT" : "STDERR";
        abandon_streams();
        m_outcome.outputs_left_open = true;
        record_status();
        fail(AgentError::outputs_left_open,
             "Script at specified location: " + m_spec.location + " failed to close " + stream);
    }

    void wait_after_sigterm() {
        std::optional<Clock::time_point> kill_at;
        bool hygiene = false;
        if (m_spec.agent == AgentVersion::v2) {
            kill_at = *m_sigterm_at + std::chrono::seconds(5);
        }
        if (m_spec.hard_kill_after_s) {
            const auto at = *m_sigterm_at + std::chrono::seconds(*m_spec.hard_kill_after_s);
            if (!kill_at || at < *kill_at) {
                kill_at = at;
                hygiene = true;
            }
        }
        while (!m_exited) {
            // A bool beside the optional, not a copy of it: GCC 12 warns (maybe-uninitialized)
            // on a conditionally copied std::optional<time_point>.
            const bool armed = kill_at.has_value() && !m_outcome.sigkill_sent;
            if (wait_once(armed ? kill_at : std::nullopt, false) == Wake::interrupted) {
                return;
            }
            if (!m_exited && armed && Clock::now() >= kill_at.value()) {
                kill_group(SIGKILL);
                m_outcome.sigkill_sent = true;
                m_outcome.hard_killed = hygiene;
            }
        }
        m_outcome.exited_after_sigterm_ms =
            std::chrono::duration_cast<milliseconds>(Clock::now() - *m_sigterm_at).count();
        record_exit();
    }

    void record_exit() {
        if (WIFEXITED(m_status)) {
            m_outcome.exit_code = WEXITSTATUS(m_status);
        } else if (WIFSIGNALED(m_status)) {
            m_outcome.signal = WTERMSIG(m_status);
        }
    }

    void record_status() {
        record_exit();
        if (m_outcome.error != AgentError::succeeded || m_outcome.exit_code == 0) {
            return;
        }
        // Ruby's exitstatus is nil for a signal death; nil.to_s is "".
        fail(AgentError::script_failed,
             error_prefix(m_spec) + " failed with exit code " +
                 (m_outcome.exit_code ? std::to_string(*m_outcome.exit_code) : ""));
    }

    void handle_leftovers() {
        if (m_outcome.sigkill_sent) {
            // Members of a group that was just sent SIGKILL stay visible for a moment while
            // the kernel tears them down (on a busy host, longer): they cannot outlive the
            // hook, so they are not leftovers. Count once they had up to a second to go.
            const auto until = Clock::now() + milliseconds(1000);
            while (count_group_members(m_pid) > 0 && Clock::now() < until) {
                ::usleep(10'000);
            }
        }
        m_outcome.leftover_processes = count_group_members(m_pid);
        if (m_outcome.leftover_processes == 0 || !m_spec.hard_kill_after_s) {
            return;
        }
        const auto grace = std::chrono::seconds(*m_spec.hard_kill_after_s);
        const auto until = m_sigterm_at ? *m_sigterm_at + grace : Clock::now();
        while (Clock::now() < until && count_group_members(m_pid) > 0) {
            if (wait_once(std::min(until, Clock::now() + milliseconds(50)), false) ==
                Wake::interrupted) {
                return;
            }
        }
        if (count_group_members(m_pid) > 0) {
            kill_group(SIGKILL);
            m_outcome.leftovers_killed = true;
        }
    }

    // Our own SIGINT/SIGTERM/SIGHUP: nothing may outlive us, so the group gets SIGKILL.
    void interrupt() {
        signalfd_siginfo info{};
        const ssize_t n = ::read(m_interrupt_fd, &info, sizeof info);
        const int sig =
            n == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
        kill_group(SIGKILL);
        abandon_streams();
        m_interrupted = true;
        m_outcome.interrupted = true;
        m_outcome.sigkill_sent = true;
        if (!m_exited) {
            while (::waitpid(m_pid, &m_status, 0) < 0 && errno == EINTR) {
            }
            m_exited = true;
        }
        record_exit();
        fail(AgentError::failed_after_restart,
             std::string("codedeploy-sim was interrupted by ") +
                 (sig > 0 ? std::string("SIG") + sigabbrev_np(sig) : std::string("a signal")) +
                 "; the hook's process group was killed");
    }

    void fail(AgentError error, std::string message) {
        m_outcome.error = error;
        m_outcome.message = std::move(message);
    }

    void kill_group(int sig) { ::kill(-m_pid, sig); }

    void abandon_streams() {
        m_out.abandon();
        m_err.abandon();
    }

    const HookSpec& m_spec;
    pid_t m_pid;
    UniqueFd m_pidfd;
    StreamReader m_out;
    StreamReader m_err;
    ScriptLogger& m_logger;
    int m_interrupt_fd;
    HookOutcome& m_outcome;
    Clock::time_point m_start = Clock::now();
    Clock::time_point m_deadline;
    std::optional<Clock::time_point> m_sigterm_at;
    bool m_exited = false;
    bool m_interrupted = false;
    int m_status = 0;
};

// The checks before the spawn (hook_executor.rb, execute). False when the hook cannot run.
bool check_script(const HookSpec& spec, HookOutcome& outcome) {
    struct stat st {};
    if (::stat(spec.script.c_str(), &st) != 0) {
        outcome.error = AgentError::script_missing;
        outcome.message = "Script does not exist at specified location: " +
                          std::filesystem::path(spec.script).lexically_normal().string();
        return false;
    }
    if (::faccessat(AT_FDCWD, spec.script.c_str(), X_OK, AT_EACCESS) != 0) {
        // FileUtils.chmod("+x", path): a+x on top of the current mode.
        if (::chmod(spec.script.c_str(), (st.st_mode & 07777) | 0111) != 0) {
            outcome.error = AgentError::script_not_executable;
            outcome.message =
                "Unable to set script at specified location: " + spec.location + " as executable";
            return false;
        }
        outcome.chmodded = true;
    }
    return true;
}

void launch(const HookSpec& spec, ScriptLogger& logger, int interrupt_fd, HookOutcome& outcome) {
    logger.log_script("Script - " + spec.location + "\n");
    const AgentCommand command =
        agent_command(spec.agent, spec.script, spec.runas, spec.sudo, spec.env);
    util::Result<SpawnedChild> child =
        command.argv.empty()
            ? util::Result<SpawnedChild>(util::Error{command.error, ENOENT})
            : spawn_child(SpawnRequest{command.argv, spec.env, spec.agent == AgentVersion::v2});
    if (!child) {
        // A spawn error is a StandardError in execute_script: rescued as SCRIPT_FAILED_CODE.
        const int err = child.error().code;
        outcome.error = AgentError::script_failed;
        outcome.message = error_prefix(spec) + " failed with error " +
                          (err != 0 ? ruby_errno_class(err) : "RuntimeError") + " with message " +
                          child.error().message;
        return;
    }
    outcome.pid = child->pid;
    Supervisor(spec, std::move(*child), logger, interrupt_fd, outcome).run();
}

}  // namespace

HookOutcome run_hook(const HookSpec& spec, ScriptLogger& logger, int interrupt_fd) {
    HookOutcome outcome;
    outcome.event = spec.event;
    outcome.location = spec.location;
    outcome.script = spec.script;
    outcome.agent = spec.agent;
    outcome.timeout_s = spec.timeout_s;
    if (check_script(spec, outcome)) {
        launch(spec, logger, interrupt_fd, outcome);
    }
    outcome.tail = console_tail(logger.script_log(), spec.location);
    outcome.diagnostic = outcome.ok()
                             ? diagnostic_payload(0, "", "Succeeded: ", ScriptLog{})
                             : diagnostic_payload(static_cast<int>(outcome.error), spec.location,
                                                  outcome.message, logger.script_log());
    return outcome;
}

}  // namespace stagehand::agent
