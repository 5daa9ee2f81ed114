#include "os/process/child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

namespace stagehand::os {

ChildGroup::~ChildGroup() {
    if (m_pid > 0 && !m_reaped) {
        signal_group(SIGKILL);
        reap();
    }
}

ChildGroup::ChildGroup(ChildGroup&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_status(other.m_status), m_reaped(other.m_reaped) {}

ChildGroup& ChildGroup::operator=(ChildGroup&& other) noexcept {
    if (this != &other) {
        ChildGroup old(std::move(*this));  // ends whatever we held
        m_pid = std::exchange(other.m_pid, -1);
        m_status = other.m_status;
        m_reaped = other.m_reaped;
    }
    return *this;
}

bool ChildGroup::has_exited() {
    if (m_pid <= 0 || m_reaped) {
        return true;
    }
    siginfo_t info{};
    // WNOWAIT leaves the zombie in place: the group id stays reserved until reap().
    if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        return errno == ECHILD;  // someone else reaped it (a bug elsewhere): treat as gone
    }
    return info.si_pid != 0;
}

void ChildGroup::signal_group(int sig) {
    if (m_pid > 0 && !m_reaped) {
        // ESRCH (every member already gone) is fine.
        (void)::kill(-m_pid, sig);
    }
}

int ChildGroup::reap() {
    if (m_pid <= 0 || m_reaped) {
        return m_status;
    }
    int status = 0;
    pid_t got = -1;
    do {
        got = ::waitpid(m_pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    m_status = got == m_pid ? status : 0;
    m_reaped = true;
    return m_status;
}

namespace {

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

// Keeps a pipe end off fds 0-2: if our own stdin/stdout were closed, a pipe could land there
// and the child's dup2 onto 0-2 would clobber it.
util::Status move_above_stdio(UniqueFd& fd) {
    if (fd.get() > 2) {
        return {};
    }
    const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) {
        return util::errno_error("failed to duplicate pipe fd", errno);
    }
    fd.reset(moved);
    return {};
}

util::Result<Pipe> make_pipe() {
    int fds[2] = {-1, -1};
    // O_CLOEXEC at creation: another thread spawning at the same moment must not inherit it.
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return util::errno_error("failed to create a pipe", errno);
    }
    Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
    for (UniqueFd* end : {&pipe.read, &pipe.write}) {
        if (auto moved = move_above_stdio(*end); !moved) {
            return moved.error();
        }
    }
    // Only our end is non-blocking; the child gets an ordinary blocking stdout.
    const int flags = ::fcntl(pipe.read.get(), F_GETFL);
    if (flags < 0 || ::fcntl(pipe.read.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
        return util::errno_error("failed to set O_NONBLOCK on a pipe", errno);
    }
    return pipe;
}

// The read end of a pipe already holding `input` (write end closed, so the child reads it and
// then EOF); an empty UniqueFd for no input. The data fits the pipe (<= PIPE_BUF), so the
// write cannot block, and the read end stays blocking as a child's stdin expects.
util::Result<UniqueFd> input_pipe(const std::string& input) {
    if (input.empty()) {
        return UniqueFd();
    }
    if (input.size() > ProcessSpec::k_max_input) {
        return util::Error{"process input of " + std::to_string(input.size()) +
                               " bytes is over the limit of " +
                               std::to_string(ProcessSpec::k_max_input),
                           E2BIG};
    }
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return util::errno_error("failed to create a pipe", errno);
    }
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    if (auto moved = move_above_stdio(read_end); !moved) {
        return moved.error();
    }
    if (::write(write_end.get(), input.data(), input.size()) !=
        static_cast<ssize_t>(input.size())) {
        return util::errno_error("failed to write a process's input", errno);
    }
    return read_end;
}

class SpawnAttr {
  public:
    SpawnAttr() { m_rc = ::posix_spawnattr_init(&m_attr); }
    ~SpawnAttr() { ::posix_spawnattr_destroy(&m_attr); }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;

    // Own process group, empty signal mask, default dispositions: the parent blocks
    // SIGTERM/SIGINT in every thread and ignores SIGPIPE, and both survive exec otherwise
    // (an ignored SIGPIPE would make `docker` spin on EPIPE instead of dying).
    int configure() {
        sigset_t empty;
        sigset_t all;
        sigemptyset(&empty);
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        const short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        for (int rc : {m_rc, ::posix_spawnattr_setflags(&m_attr, flags),
                       ::posix_spawnattr_setpgroup(&m_attr, 0),
                       ::posix_spawnattr_setsigmask(&m_attr, &empty),
                       ::posix_spawnattr_setsigdefault(&m_attr, &all)}) {
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    const posix_spawnattr_t* get() const { return &m_attr; }

  private:
    posix_spawnattr_t m_attr{};
    int m_rc = 0;
};

class FileActions {
  public:
    FileActions() { m_rc = ::posix_spawn_file_actions_init(&m_actions); }
    ~FileActions() { ::posix_spawn_file_actions_destroy(&m_actions); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;

    // in_fd < 0: stdin is /dev/null.
    int configure(int in_fd, int out_fd, int err_fd, const std::string& cwd) {
        posix_spawn_file_actions_t* fa = &m_actions;
        for (int rc :
             {m_rc,
              in_fd < 0 ? ::posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0)
                        : ::posix_spawn_file_actions_adddup2(fa, in_fd, 0),
              ::posix_spawn_file_actions_adddup2(fa, out_fd, 1),
              ::posix_spawn_file_actions_adddup2(fa, err_fd, 2),
              cwd.empty() ? 0 : ::posix_spawn_file_actions_addchdir_np(fa, cwd.c_str()),
              // Belt and braces over O_CLOEXEC: libraries (libproc2 opens
              // /proc/meminfo without it) may hold fds we do not control.
              ::posix_spawn_file_actions_addclosefrom_np(fa, 3)}) {
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    const posix_spawn_file_actions_t* get() const { return &m_actions; }

  private:
    posix_spawn_file_actions_t m_actions{};
    int m_rc = 0;
};

// Our environment with spec.env added or overriding, as "NAME=value" strings.
std::vector<std::string> build_environment(const ProcessSpec& spec) {
    std::vector<std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view item(*entry);
        const std::string_view name = item.substr(0, item.find('='));
        const bool overridden = std::any_of(spec.env.begin(), spec.env.end(), [&](const auto& kv) {
            return std::string_view(kv.first) == name;
        });
        if (!overridden) {
            env.emplace_back(item);
        }
    }
    for (const auto& [name, value] : spec.env) {
        env.push_back(name + "=" + value);
    }
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

}  // namespace

util::Result<std::string> resolve_executable(const ProcessSpec& spec) {
    if (spec.argv.empty() || spec.argv[0].empty()) {
        return util::Error{"cannot run a process: empty command", EINVAL};
    }
    std::string path = find_executable(spec.argv[0]);
    if (path.empty()) {
        return util::Error{
            spec.argv[0] + ": executable not found (searched PATH, /usr/bin, /usr/local/bin)",
            ENOENT};
    }
    return path;
}

util::Result<SpawnedChild> spawn_child(const std::string& executable, const ProcessSpec& spec) {
    auto out = make_pipe();
    if (!out) {
        return out.error();
    }
    auto err = make_pipe();
    if (!err) {
        return err.error();
    }
    SpawnAttr attr;
    FileActions actions;
    if (int rc = attr.configure(); rc != 0) {
        return util::errno_error("failed to prepare spawn attributes", rc);
    }
    auto in = input_pipe(spec.input);
    if (!in) {
        return in.error();
    }
    if (int rc = actions.configure(in->get(), out->write.get(), err->write.get(), spec.cwd);
        rc != 0) {
        return util::errno_error("failed to prepare spawn file actions", rc);
    }
    std::vector<std::string> argv_strings = spec.argv;
    std::vector<std::string> env_strings = build_environment(spec);
    std::vector<char*> argv = c_strings(argv_strings);
    std::vector<char*> envp = c_strings(env_strings);
    pid_t pid = -1;
    // glibc's posix_spawn (clone(CLONE_VFORK)) reports a failed chdir or exec as its return
    // value; the child itself then ends with _exit(127) and glibc reaps it.
    const int rc = ::posix_spawn(&pid, executable.c_str(), actions.get(), attr.get(), argv.data(),
                                 envp.data());
    if (rc != 0) {
        const std::string where = spec.cwd.empty() ? "" : " in " + spec.cwd;
        return util::errno_error("failed to start " + executable + where, rc);
    }
    // The write ends close here, so EOF on our read ends means the child side closed.
    return SpawnedChild{ChildGroup(pid), std::move(out->read), std::move(err->read)};
}

int end_group(ChildGroup& child, std::chrono::milliseconds grace,
              const std::function<void(MonoTime until)>& wait_step) {
    child.signal_group(SIGTERM);
    const MonoTime grace_end = std::chrono::steady_clock::now() + grace;
    std::chrono::milliseconds tick{1};
    while (!child.has_exited()) {
        const MonoTime now = std::chrono::steady_clock::now();
        if (now >= grace_end) {
            break;
        }
        wait_step(std::min(grace_end, now + tick));
        tick = std::min(tick * 2, std::chrono::milliseconds{50});
    }
    // Always: members of the group may ignore TERM or outlive the leader. The leader is not
    // reaped yet, so the group id cannot have been reused.
    child.signal_group(SIGKILL);
    return child.reap();
}

int reap_and_end_group(ChildGroup& child) {
    // SPEC section 2: no background process may outlive the run. Nothing we spawn (docker,
    // compose, a probe) has a reason to leave a process behind, and the zombie leader keeps
    // the group id reserved until reap(), so the signal reaches only its own group.
    child.signal_group(SIGKILL);
    return child.reap();
}

void apply_wait_status(int status, ProcessOutcome& outcome) {
    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
        outcome.signal = 0;
    } else if (WIFSIGNALED(status)) {
        outcome.exit_code = -1;
        outcome.signal = WTERMSIG(status);
    }
}

}  // namespace stagehand::os
