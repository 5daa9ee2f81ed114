#include "support/sim_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sim/spawn.hpp"

namespace stagehand::agent::sim_test {

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "agent-sim-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_path = pattern;
    // Lets a test run codedeploy-sim as another user against files in here.
    fs::permissions(m_path, fs::perms(0755));
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

void write_file(const fs::path& path, const std::string& text, fs::perms mode) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::trunc) << text;
    fs::permissions(path, mode);
}

fs::path write_script(const fs::path& path, const std::string& body) {
    write_file(path, "#!/bin/sh\n" + body, fs::perms(0755));
    return path;
}

std::string read_file(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

const nlohmann::json& SimRun::last() const {
    static const nlohmann::json k_none = nlohmann::json::object();
    return objects.empty() ? k_none : objects.back();
}

std::vector<nlohmann::json> SimRun::of_type(const std::string& type) const {
    std::vector<nlohmann::json> found;
    for (const auto& object : objects) {
        if (object.value("type", "") == type) {
            found.push_back(object);
        }
    }
    return found;
}

namespace {

// Reads both pipes to EOF (or the deadline) without letting either fill up.
void drain(int out_fd, int err_fd, SimRun& run, std::chrono::steady_clock::time_point deadline) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&run.out, &run.err};
    while ((fds[0].fd >= 0 || fds[1].fd >= 0) && std::chrono::steady_clock::now() < deadline) {
        if (::poll(fds, 2, 100) <= 0) {
            continue;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            char buffer[65536];
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
            } else {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
    for (auto& fd : fds) {
        if (fd.fd >= 0) {
            ::close(fd.fd);
        }
    }
}

void parse_lines(SimRun& run) {
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            run.objects.push_back(nlohmann::json::parse(line, nullptr, false));
        }
    }
}

}  // namespace

SimProcess start_sim(const std::vector<std::string>& args, std::optional<uid_t> as_user) {
    std::vector<std::string> argv_strings{CODEDEPLOY_SIM};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (as_user && (::setgid(*as_user) != 0 || ::setuid(*as_user) != 0)) {
            ::_exit(126);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    return SimProcess{pid, out[0], err[0]};
}

SimRun finish_sim(const SimProcess& process, std::chrono::seconds limit) {
    SimRun run;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    drain(process.out_fd, process.err_fd, run, deadline);
    int status = 0;
    while (::waitpid(process.pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(process.pid, SIGKILL);  // last resort: a SIGTERM would let the sim clean up
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    parse_lines(run);
    return run;
}

SimRun run_sim(const std::vector<std::string>& args, std::optional<uid_t> as_user,
               std::chrono::seconds limit) {
    return finish_sim(start_sim(args, as_user), limit);
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

bool process_alive(pid_t pid) {
    const std::string text = read_proc_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace stagehand::agent::sim_test
