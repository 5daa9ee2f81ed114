#include "support/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/proc.hpp"

extern char** environ;

namespace stagehand::integration {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> environment_with(const std::vector<std::string>& env_add) {
    std::vector<std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        env.emplace_back(*entry);
    }
    env.insert(env.end(), env_add.begin(), env_add.end());
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// Clean signal state in the child: gtest or a previous test may have changed ours.
void clean_signals(posix_spawnattr_t& attr, short extra_flags) {
    sigset_t none;
    sigset_t all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(
        &attr, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags));
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env_add,
            posix_spawn_file_actions_t& actions, short flags) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    clean_signals(attr, flags);
    if ((flags & POSIX_SPAWN_SETPGROUP) != 0) {
        posix_spawnattr_setpgroup(&attr, 0);
    }
    std::vector<std::string> args = argv;
    std::vector<std::string> env = environment_with(env_add);
    auto arg_ptrs = pointers(args);
    auto env_ptrs = pointers(env);
    pid_t pid = -1;
    const int rc =
        ::posix_spawnp(&pid, args[0].c_str(), &actions, &attr, arg_ptrs.data(), env_ptrs.data());
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -1;
}

// Reads both pipes until EOF or the deadline, never letting one of them fill up.
void drain(int& out_fd, int& err_fd, CommandResult& result, Clock::time_point deadline) {
    while ((out_fd >= 0 || err_fd >= 0) && Clock::now() < deadline) {
        pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
        if (::poll(fds, 2, 100) <= 0) {
            continue;
        }
        int* owners[2] = {&out_fd, &err_fd};
        std::string* sinks[2] = {&result.out, &result.err};
        for (int i = 0; i < 2; ++i) {
            if (*owners[i] < 0 || fds[i].revents == 0) {
                continue;
            }
            char buffer[65536];
            const ssize_t n = ::read(*owners[i], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                ::close(*owners[i]);
                *owners[i] = -1;
            } else {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
}

bool reaped(pid_t pid, int& status) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
}

}  // namespace

std::string CommandResult::describe() const {
    std::string text = hit_limit     ? "killed at the time limit"
                       : signal != 0 ? "killed by signal " + std::to_string(signal)
                                     : "exit " + std::to_string(status);
    std::string last = err.empty() ? out : err;
    while (!last.empty() && last.back() == '\n') {
        last.pop_back();
    }
    const auto newline = last.rfind('\n');
    if (newline != std::string::npos) {
        last = last.substr(newline + 1);
    }
    return last.empty() ? text : text + ": " + last;
}

Child Child::start(const std::vector<std::string>& argv, const std::vector<std::string>& env_add) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    Child child;
    child.m_pid = spawn(argv, env_add, actions, POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    child.m_out = out[0];
    child.m_err = err[0];
    if (child.m_pid < 0) {
        throw std::runtime_error("cannot start " + argv.at(0));
    }
    return child;
}

Child::Child(Child&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)),
      m_out(std::exchange(other.m_out, -1)),
      m_err(std::exchange(other.m_err, -1)) {}

Child& Child::operator=(Child&& other) noexcept {
    if (this != &other) {
        release();
        m_pid = std::exchange(other.m_pid, -1);
        m_out = std::exchange(other.m_out, -1);
        m_err = std::exchange(other.m_err, -1);
    }
    return *this;
}

Child::~Child() {
    release();
}

void Child::release() {
    if (m_pid > 0) {
        ::kill(-m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
    }
    for (int* fd : {&m_out, &m_err}) {
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    }
}

CommandResult Child::finish(Millis limit) {
    CommandResult result;
    const auto deadline = Clock::now() + limit;
    drain(m_out, m_err, result, deadline);
    int status = 0;
    auto kill_at = deadline;
    int next_signal = SIGTERM;
    while (!reaped(m_pid, status)) {
        if (Clock::now() >= kill_at) {
            result.hit_limit = true;
            ::kill(next_signal == SIGTERM ? m_pid : -m_pid, next_signal);
            next_signal = SIGKILL;
            kill_at = Clock::now() + std::chrono::seconds(5);
        }
        std::this_thread::sleep_for(Millis(5));
    }
    if (result.hit_limit) {
        drain(m_out, m_err, result, Clock::now() + std::chrono::seconds(2));
    }
    m_pid = -1;
    release();
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return result;
}

CommandResult run_command(const std::vector<std::string>& argv, Millis limit,
                          const std::vector<std::string>& env_add) {
    try {
        return Child::start(argv, env_add).finish(limit);
    } catch (const std::exception& error) {
        CommandResult result;
        result.err = error.what();
        return result;
    }
}

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const pid_t pid = spawn(argv, {}, actions, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
}

bool stop_process(pid_t pid, int sig, Millis limit) {
    if (pid <= 0) {
        return true;
    }
    ::kill(pid, sig);
    auto deadline = Clock::now() + limit;
    bool killed = false;
    while (true) {
        int status = 0;
        ::waitpid(pid, &status, WNOHANG);  // reaps it when it is our child (a daemon we spawned)
        if (!running(pid)) {
            return true;
        }
        if (Clock::now() >= deadline) {
            if (killed) {
                return false;
            }
            ::kill(pid, SIGKILL);
            killed = true;
            deadline = Clock::now() + std::chrono::seconds(10);
        }
        std::this_thread::sleep_for(Millis(20));
    }
}

bool running(pid_t pid) {
    const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace stagehand::integration
