#pragma once
// os::Compose by running the compose CLI through a ProcessRunner: the v2 plugin
// (`docker compose`) or the v1 program (`docker-compose`, which may itself be a v2 standalone
// binary). Flags are chosen by the version the program reports, not by its name.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/config.hpp"
#include "os/docker/docker.hpp"
#include "os/process/process.hpp"

namespace stagehand::os {

// A compose program and what it can do.
struct ComposeFlavour {
    // What runs: {"docker", "compose"}, {"docker-compose"}, or the plugin's own path (auto).
    std::vector<std::string> command;
    std::string name;     // what messages call it: "docker compose" or "docker-compose"
    std::string version;  // "2.26.1", "1.29.2"
    int major = 0;
    int minor = 0;
};

// "2.26.1", "v2.26.1", "1.29.2, build unknown" -> major/minor. false when it does not parse.
bool parse_compose_version(std::string_view text, ComposeFlavour& flavour);

// The global options for plain, uncoloured output that `flavour` understands:
// v2: --ansi never, plus --progress plain from 2.19 (when it became a global flag; newer
// releases fail to draw their interactive progress without a terminal);
// v1 >= 1.28: --ansi never; older v1: --no-ansi (deprecated from 1.28 on, with a warning).
std::vector<std::string> plain_output_flags(const ComposeFlavour& flavour);

// Asked about once a second while a compose child runs: what runs ("docker compose up -d
// --no-deps s3") and for how long. An error ends the child (its group: TERM, grace, KILL)
// and is what the compose call returns (compose itself would wait on a frozen daemon until
// our deadline).
using ComposeWatchdog =
    std::function<util::Status(const std::string& what, std::chrono::milliseconds running)>;

class CliCompose final : public Compose {
  public:
    // `runner` must outlive this object. `compose_file` is absolute; compose runs in its
    // folder (v1 before 1.28 read .env from the working directory).
    CliCompose(ComposeFlavour flavour, std::string project, std::string compose_file,
               ProcessRunner& runner);

    std::string describe() const override;
    util::Status up_service(const std::string& service, MonoTime deadline,
                            const Cancel& cancel) override;
    // An empty list stops nothing (it never means "the whole project").
    util::Status stop_services(const std::vector<std::string>& services, int timeout_seconds,
                               MonoTime deadline, const Cancel& cancel) override;

    // Set before the first call.
    void set_watchdog(ComposeWatchdog watchdog) { m_watchdog = std::move(watchdog); }

    // The argv of a compose subcommand: command, plain-output flags, -p, -f, then `args`.
    std::vector<std::string> argv(const std::vector<std::string>& args) const;

  private:
    util::Status run(const std::vector<std::string>& args, MonoTime deadline, const Cancel& cancel);

    ComposeFlavour m_flavour;
    std::string m_project;
    std::string m_compose_file;
    ProcessRunner& m_runner;
    ComposeWatchdog m_watchdog;
};

// Finds the compose program `command` asks for and checks that it answers `version`:
// auto_detect tries `docker compose` (v2 plugin) first, then `docker-compose`; an explicit
// setting that does not work is an error naming it and compose's own message. Waits at
// most until `deadline` (and 60 s per probe).
// With auto_detect, once `docker compose` works, the plugin it runs (the first docker-compose
// in `plugin_dirs`, compose_plugin.hpp) is run directly when it reports the same version:
// `docker compose` starts the CLI, which runs the plugin once for its metadata and once for
// the command; compose v2 runs standalone, so the plugin alone does the same work with about
// 50 ms and 60 ms of CPU less per call (README "Where the contract is silent"). An explicit
// "docker compose" runs exactly that.
util::Result<ComposeFlavour> detect_compose(core::ComposeCommand command, ProcessRunner& runner,
                                            MonoTime deadline, const Cancel& cancel,
                                            const std::vector<std::string>& plugin_dirs = {});

// detect_compose with the docker CLI's plugin folders (docker_cli_plugin_dirs), then a
// CliCompose for `project` and `compose_file` with `watchdog` (may be empty).
util::Result<std::unique_ptr<Compose>> make_compose(
    core::ComposeCommand command, const std::string& project, const std::string& compose_file,
    ProcessRunner& runner, MonoTime deadline, const Cancel& cancel,
    ComposeWatchdog watchdog = nullptr,
    const std::optional<std::vector<std::string>>& plugin_dirs = std::nullopt);

// The last `lines` non-empty lines of a child's output, '\n'-joined (for error messages).
std::string last_lines(std::string_view text, std::size_t lines);

}  // namespace stagehand::os
