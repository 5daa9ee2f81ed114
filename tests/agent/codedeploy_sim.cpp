// codedeploy-sim: runs stagehand's hooks (or any hook) the way the AWS CodeDeploy agent does,
// for the integration tests and the demo. See sim/cli.cpp for the command line.

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli.hpp"

namespace {

using namespace stagehand::agent;

// A closed fd 0-2 would let a pipe land there and break the child's dup2 plumbing.
void ensure_standard_fds() {
    for (int fd = 0; fd < 3; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0) {
            ::open("/dev/null", O_RDWR);
        }
    }
}

// Our own SIGINT/SIGTERM/SIGHUP arrive through a signalfd so the wait loops can kill the
// hook's process group before we go: nothing of a test's hook may outlive us.
UniqueFd interrupt_signalfd() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
        ::sigaddset(&set, sig);
    }
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    return UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

void print(const nlohmann::ordered_json& object) {
    const std::string line =
        object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

int run(const HookCommand& command, int interrupt_fd) {
    auto logger = ScriptLogger::open(command.scripts_log, command.print_output);
    if (!logger) {
        std::cerr << "codedeploy-sim: " << logger.error().message << "\n";
        return 2;
    }
    logger->begin_event(command.spec.event);
    const HookOutcome outcome = run_hook(command.spec, *logger, interrupt_fd);
    print(to_json(outcome));
    return outcome.ok() ? 0 : 1;
}

int run(const DeployCommand& command, int interrupt_fd) {
    const DeploySummary summary = run_deployment(command.options, interrupt_fd, print);
    print(to_json(summary));
    return summary.status == "Succeeded" ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        ensure_standard_fds();
        ::signal(SIGPIPE, SIG_IGN);  // a reader of our stdout may go away; EPIPE is enough
        auto command = parse_command_line(std::vector<std::string>(argv + 1, argv + argc));
        if (!command) {
            std::cerr << "codedeploy-sim: " << command.error().message << "\n";
            return 2;
        }
        if (std::holds_alternative<HelpCommand>(*command)) {
            std::cout << usage_text();
            return 0;
        }
        const UniqueFd interrupt = interrupt_signalfd();
        if (const auto* hook = std::get_if<HookCommand>(&*command)) {
            return run(*hook, interrupt.get());
        }
        return run(std::get<DeployCommand>(*command), interrupt.get());
    } catch (const std::exception& e) {
        std::cerr << "codedeploy-sim: " << e.what() << "\n";
        return 2;
    }
}
