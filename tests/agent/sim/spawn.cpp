#include "sim/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/errors.hpp"

namespace stagehand::agent {

namespace {

struct PipeFds {
    UniqueFd read;
    UniqueFd write;
};

util::Result<PipeFds> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return errno_failure("failed to create a pipe", errno);
    }
    return PipeFds{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// NULL-terminated char* views of strings that outlive the fork (no allocation in the child).
std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (const auto& s : strings) {
        out.push_back(const_cast<char*>(s.c_str()));
    }
    out.push_back(nullptr);
    return out;
}

struct ChildFds {
    int in = -1;
    int out = -1;
    int err = -1;
    int report = -1;  // close-on-exec pipe: receives errno if exec fails
};

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void exec_child(const ChildFds& fds, char** argv, char** sh_argv, char** envp) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL/SIGSTOP
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);  // popen3(pgroup: true)
    int err = 0;
    if (::chdir("/") != 0 || ::dup2(fds.in, 0) < 0 || ::dup2(fds.out, 1) < 0 ||
        ::dup2(fds.err, 2) < 0) {
        err = errno;
    } else {
        // The agent passes on every descriptor its caller left without close-on-exec (seen:
        // fds 3 and 251 of the shell that started codedeploy-local reached the hook), so we
        // do too; our own descriptors are all close-on-exec.
        ::execve(argv[0], argv, envp);
        if (errno == ENOEXEC) {
            // Ruby's spawn (process.c, try_with_sh) runs a script without "#!" through /bin/sh.
            ::execve("/bin/sh", sh_argv, envp);
        }
        err = errno;
    }
    while (::write(fds.report, &err, sizeof err) < 0 && errno == EINTR) {
    }
    ::_exit(127);
}

// Reads the exec report: 0 when exec succeeded (EOF), else the child's errno.
int read_exec_report(int fd) {
    int err = 0;
    ssize_t n = 0;
    do {
        n = ::read(fd, &err, sizeof err);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

util::Result<UniqueFd> open_stdin(bool dev_null, UniqueFd& pipe_write) {
    if (dev_null) {
        UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) {
            return errno_failure("failed to open /dev/null", errno);
        }
        return fd;
    }
    auto pipe = make_pipe();
    if (!pipe) {
        return pipe.error();
    }
    pipe_write = std::move(pipe->write);
    return std::move(pipe->read);
}

}  // namespace

util::Result<SpawnedChild> spawn_child(const SpawnRequest& request) {
    UniqueFd stdin_write;
    auto in = open_stdin(request.stdin_dev_null, stdin_write);
    auto out = make_pipe();
    auto err = make_pipe();
    auto report = make_pipe();
    for (const util::Error* e :
         {in ? nullptr : &in.error(), out ? nullptr : &out.error(), err ? nullptr : &err.error(),
          report ? nullptr : &report.error()}) {
        if (e != nullptr) {
            return *e;
        }
    }
    std::vector<std::string> sh_args{"sh"};
    sh_args.insert(sh_args.end(), request.argv.begin(), request.argv.end());
    auto argv = c_strings(request.argv);
    auto sh_argv = c_strings(sh_args);
    auto envp = c_strings(request.env);

    const pid_t pid = ::fork();
    if (pid < 0) {
        return errno_failure("failed to fork", errno);
    }
    if (pid == 0) {
        exec_child(ChildFds{in->get(), out->write.get(), err->write.get(), report->write.get()},
                   argv.data(), sh_argv.data(), envp.data());
    }
    ::setpgid(pid, pid);  // also here, so no signal can race the child's own setpgid
    in->reset();
    stdin_write.reset();  // v1: `stdin.close` -- the hook reads EOF at once
    out->write.reset();
    err->write.reset();
    report->write.reset();
    if (const int exec_errno = read_exec_report(report->read.get()); exec_errno != 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return util::Error{std::string(std::strerror(exec_errno)) + " - " + request.argv[0],
                           exec_errno};
    }
    SpawnedChild child;
    child.pid = pid;
    child.out = std::move(out->read);
    child.err = std::move(err->read);
    child.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    for (int fd : {child.out.get(), child.err.get()}) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return child;
}

bool try_reap(pid_t pid, int& wait_status) {
    pid_t r = 0;
    do {
        r = ::waitpid(pid, &wait_status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    return r == pid;
}

std::string read_proc_text(const std::string& path) {
    // Through operator<<(streambuf*), which turns a failed read into failbit: an
    // istreambuf_iterator lets libstdc++'s exception out.
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

int count_group_members(pid_t pgid) {
    // /proc/<pid>/stat: "1234 (comm with spaces) S 1 1234 1234 ..." -- state, ppid, pgrp follow
    // the last ')'.
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        const std::string stat = read_proc_text((entry.path() / "stat").string());
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;  // the process went away
        }
        std::istringstream fields(stat.substr(close + 1));
        char state = 0;
        long ppid = 0;
        long pgrp = 0;
        if (fields >> state >> ppid >> pgrp && pgrp == pgid && state != 'Z' && state != 'X') {
            ++count;
        }
    }
    return count;
}

std::string ruby_errno_class(int err) {
    const char* name = ::strerrorname_np(err);
    return std::string("Errno::") + (name != nullptr ? name : "E" + std::to_string(err));
}

}  // namespace stagehand::agent
