// CliCompose and compose detection, with a fake ProcessRunner that records each argv and
// answers from a script.

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "os/docker/cli_compose.hpp"
#include "os/docker/compose_plugin.hpp"
#include "temp_tree.hpp"

namespace stagehand::os {
namespace {

std::string joined(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        out += out.empty() ? "" : " ";
        out += a;
    }
    return out;
}

// Answers by the argv joined with spaces; unknown commands "exit 1".
class ScriptedRunner final : public ProcessRunner {
  public:
    std::map<std::string, ProcessOutcome> answers;
    std::map<std::string, std::string> start_errors;  // argv -> "could not start" message
    std::vector<ProcessSpec> specs;
    std::string sigterm_during;  // argv during which the run gets SIGTERM (the child is ended)
    std::string hangs;           // argv that never ends by itself

    util::Result<ProcessOutcome> run(const ProcessSpec& spec, MonoTime,
                                     const Cancel& cancel) override {
        specs.push_back(spec);
        const std::string key = joined(spec.argv);
        if (key == hangs && spec.watchdog) {
            // Compose waiting on a frozen daemon: runs until the watchdog stops it.
            ProcessOutcome ended;
            for (int second = 1; second <= 600 && ended.stopped.empty(); ++second) {
                ended.stopped = spec.watchdog(std::chrono::seconds(second));
            }
            ended.signal = 15;
            return ended;
        }
        if (key == sigterm_during) {
            cancel.fire(CancelReason::sigterm);
            ProcessOutcome ended;
            ended.cancelled = true;
            ended.signal = 15;
            return ended;
        }
        if (auto it = start_errors.find(key); it != start_errors.end()) {
            return util::Error{it->second, 2};
        }
        if (auto it = answers.find(key); it != answers.end()) {
            return it->second;
        }
        ProcessOutcome fail;
        fail.exit_code = 1;
        fail.err = "unknown command: " + key + "\n";
        return fail;
    }
    std::vector<std::string> commands() const {
        std::vector<std::string> out;
        for (const auto& s : specs) {
            out.push_back(joined(s.argv));
        }
        return out;
    }
};

ProcessOutcome exited(int code, std::string out, std::string err = "") {
    ProcessOutcome o;
    o.exit_code = code;
    o.out = std::move(out);
    o.err = std::move(err);
    return o;
}

const MonoTime k_deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);

TEST(ComposeVersion, ParsesWhatComposePrints) {
    struct Case {
        const char* text;
        bool ok;
        int major;
        int minor;
        const char* version;
    } cases[] = {
        {"2.26.1\n", true, 2, 26, "2.26.1"},
        {"v2.17.2\n", true, 2, 17, "2.17.2"},
        {"1.29.2\n", true, 1, 29, "1.29.2"},
        {"docker-compose version 1.25.0, build unknown", true, 1, 25, "1.25.0"},
        {"5.0.1", true, 5, 0, "5.0.1"},
        {"", false, 0, 0, ""},
        {"garbage", false, 0, 0, ""},
        {"12", false, 0, 0, ""},
    };
    for (const auto& c : cases) {
        ComposeFlavour f;
        EXPECT_EQ(parse_compose_version(c.text, f), c.ok) << c.text;
        if (c.ok) {
            EXPECT_EQ(f.major, c.major) << c.text;
            EXPECT_EQ(f.minor, c.minor) << c.text;
            EXPECT_EQ(f.version, c.version) << c.text;
        }
    }
}

TEST(ComposeVersion, PlainOutputFlagsPerVersion) {
    struct Case {
        int major;
        int minor;
        const char* flags;
    } cases[] = {
        {1, 25, "--no-ansi"},
        {1, 27, "--no-ansi"},
        {1, 28, "--ansi never"},
        {1, 29, "--ansi never"},
        {2, 0, "--ansi never"},
        {2, 18, "--ansi never"},
        {2, 19, "--ansi never --progress plain"},
        {2, 26, "--ansi never --progress plain"},
        {5, 0, "--ansi never --progress plain"},
    };
    for (const auto& c : cases) {
        ComposeFlavour f;
        f.major = c.major;
        f.minor = c.minor;
        EXPECT_EQ(joined(plain_output_flags(f)), c.flags) << c.major << "." << c.minor;
    }
}

TEST(ComposeDetect, AutoPrefersThePlugin) {
    ScriptedRunner runner;
    runner.answers["docker compose version --short"] = exited(0, "2.26.1\n");
    runner.answers["docker-compose version --short"] = exited(0, "1.29.2\n");
    const Cancel cancel;
    auto compose =
        make_compose(core::ComposeCommand::auto_detect, "randhand", "/opt/app/docker-compose.yml",
                     runner, k_deadline, cancel, nullptr, std::vector<std::string>{});
    ASSERT_TRUE(compose.ok()) << compose.error().message;
    EXPECT_EQ((*compose)->describe(), "docker compose 2.26.1");
    EXPECT_EQ(runner.commands(), std::vector<std::string>{"docker compose version --short"});
}

// A plugin folder with an executable docker-compose, and one with a file that is not
// executable (which the CLI skips too).
struct PluginFolders {
    test::TempTree tree;
    std::vector<std::string> dirs;
    std::string plugin;
    PluginFolders() {
        tree.write("/user/cli-plugins/docker-compose", "not executable");
        tree.write("/system/cli-plugins/docker-compose", "#!/bin/sh\n");
        plugin = tree.root() + "/system/cli-plugins/docker-compose";
        std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
        dirs = {"relative/cli-plugins", tree.root() + "/missing", tree.root() + "/user/cli-plugins",
                tree.root() + "/system/cli-plugins"};
    }
};

TEST(ComposeDetect, AutoRunsThePluginDirectlyWhenItIsTheSameRelease) {
    PluginFolders folders;
    ScriptedRunner runner;
    runner.answers["docker compose version --short"] = exited(0, "2.26.1\n");
    runner.answers[folders.plugin + " version --short"] = exited(0, "2.26.1\n");
    runner.answers[folders.plugin +
                   " --ansi never --progress plain -p p -f /a/b.yml up -d "
                   "--no-deps x"] = exited(1, "", "no such service: x\n");
    const Cancel cancel;
    auto compose = make_compose(core::ComposeCommand::auto_detect, "p", "/a/b.yml", runner,
                                k_deadline, cancel, nullptr, folders.dirs);
    ASSERT_TRUE(compose.ok()) << compose.error().message;
    EXPECT_EQ((*compose)->describe(), "docker compose 2.26.1 (run as " + folders.plugin + ")");
    auto up = (*compose)->up_service("x", k_deadline, cancel);
    ASSERT_FALSE(up.ok());
    // Messages still say what an operator would type.
    EXPECT_EQ(up.error().message.rfind("docker compose up -d --no-deps x exited with 1", 0), 0u)
        << up.error().message;
    EXPECT_EQ(runner.specs.back().argv.front(), folders.plugin);
}

TEST(ComposeDetect, AutoKeepsTheCliWhenThePluginFoundIsAnotherReleaseOrNone) {
    PluginFolders folders;
    ScriptedRunner runner;
    runner.answers["docker compose version --short"] = exited(0, "2.26.1\n");
    runner.answers[folders.plugin + " version --short"] = exited(0, "2.24.0\n");
    const Cancel cancel;
    auto other =
        detect_compose(core::ComposeCommand::auto_detect, runner, k_deadline, cancel, folders.dirs);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->command, (std::vector<std::string>{"docker", "compose"}));
    runner.specs.clear();
    auto none = detect_compose(core::ComposeCommand::auto_detect, runner, k_deadline, cancel,
                               {folders.tree.root() + "/missing"});
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->command, (std::vector<std::string>{"docker", "compose"}));
    EXPECT_EQ(runner.commands(), std::vector<std::string>{"docker compose version --short"});
    // An explicit "docker compose" runs exactly that.
    runner.answers[folders.plugin + " version --short"] = exited(0, "2.26.1\n");
    runner.specs.clear();
    auto v2 = detect_compose(core::ComposeCommand::v2, runner, k_deadline, cancel, folders.dirs);
    ASSERT_TRUE(v2.ok());
    EXPECT_EQ(v2->command, (std::vector<std::string>{"docker", "compose"}));
    EXPECT_EQ(runner.commands(), std::vector<std::string>{"docker compose version --short"});
}

TEST(ComposePlugin, FoldersInTheCliOrder) {
    const std::vector<std::string> system = {
        "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"};
    auto plain = cli_plugin_dirs("/root/.docker", "");
    ASSERT_TRUE(plain);
    std::vector<std::string> expected = {"/root/.docker/cli-plugins"};
    expected.insert(expected.end(), system.begin(), system.end());
    EXPECT_EQ(*plain, expected);
    auto extra = cli_plugin_dirs("/c", R"({"auths": {}, "cliPluginsExtraDirs": ["/opt/p"]})");
    ASSERT_TRUE(extra);
    expected = {"/c/cli-plugins", "/opt/p"};
    expected.insert(expected.end(), system.begin(), system.end());
    EXPECT_EQ(*extra, expected);
    // A config the CLI would read differently (or not at all): no guess.
    EXPECT_FALSE(cli_plugin_dirs("/c", "{not json"));
    EXPECT_FALSE(cli_plugin_dirs("/c", R"({"cliPluginsExtraDirs": "/opt/p"})"));
    EXPECT_FALSE(cli_plugin_dirs("/c", R"({"cliPluginsExtraDirs": [1]})"));
}

TEST(ComposePlugin, TheFirstExecutableInAnAbsoluteFolderIsTheOneTheCliRuns) {
    PluginFolders folders;
    EXPECT_EQ(find_compose_plugin(folders.dirs), folders.plugin);
    EXPECT_FALSE(find_compose_plugin({folders.tree.root() + "/user/cli-plugins"}));
    EXPECT_FALSE(find_compose_plugin({}));
}

TEST(ComposeDetect, AutoFallsBackToV1) {
    ScriptedRunner runner;
    runner.answers["docker compose version --short"] =
        exited(1, "", "docker: 'compose' is not a docker command.\nSee 'docker --help'\n");
    runner.answers["docker-compose version --short"] = exited(0, "1.29.2\n");
    const Cancel cancel;
    auto compose =
        make_compose(core::ComposeCommand::auto_detect, "randhand", "/opt/app/docker-compose.yml",
                     runner, k_deadline, cancel, nullptr, std::vector<std::string>{});
    ASSERT_TRUE(compose.ok()) << compose.error().message;
    EXPECT_EQ((*compose)->describe(), "docker-compose 1.29.2");
}

TEST(ComposeDetect, NothingWorksNamesBoth) {
    ScriptedRunner runner;
    runner.start_errors["docker compose version --short"] = "docker: executable not found";
    runner.start_errors["docker-compose version --short"] = "docker-compose: executable not found";
    const Cancel cancel;
    auto flavour = detect_compose(core::ComposeCommand::auto_detect, runner, k_deadline, cancel);
    ASSERT_FALSE(flavour.ok());
    EXPECT_NE(flavour.error().message.find("docker: executable not found"), std::string::npos);
    EXPECT_NE(flavour.error().message.find("docker-compose: executable not found"),
              std::string::npos);
    EXPECT_NE(flavour.error().message.find("compose.command"), std::string::npos);
}

TEST(ComposeDetect, ExplicitSettingThatIsMissingIsAnError) {
    ScriptedRunner runner;
    runner.answers["docker compose version --short"] =
        exited(1, "", "docker: 'compose' is not a docker command.\n");
    runner.answers["docker-compose version --short"] = exited(0, "1.29.2\n");
    const Cancel cancel;
    auto v2 = detect_compose(core::ComposeCommand::v2, runner, k_deadline, cancel);
    ASSERT_FALSE(v2.ok());
    EXPECT_NE(v2.error().message.find("compose.command is \"docker compose\""), std::string::npos);
    EXPECT_NE(v2.error().message.find("'compose' is not a docker command"), std::string::npos);
    // v1 explicitly: never tries the plugin.
    runner.specs.clear();
    auto v1 = detect_compose(core::ComposeCommand::v1, runner, k_deadline, cancel);
    ASSERT_TRUE(v1.ok());
    EXPECT_EQ(runner.commands(), std::vector<std::string>{"docker-compose version --short"});
}

TEST(ComposeDetect, StandaloneV2GetsV2Flags) {
    ScriptedRunner runner;
    runner.answers["docker-compose version --short"] = exited(0, "2.24.1\n");
    const Cancel cancel;
    auto flavour = detect_compose(core::ComposeCommand::v1, runner, k_deadline, cancel);
    ASSERT_TRUE(flavour.ok());
    CliCompose compose(*flavour, "p", "/b/c.yml", runner);
    EXPECT_EQ(joined(compose.argv({"up"})),
              "docker-compose --ansi never --progress plain -p p -f /b/c.yml up");
}

TEST(ComposeCli, SubcommandsArgvEnvAndFolder) {
    ScriptedRunner runner;
    ComposeFlavour v1{{"docker-compose"}, "docker-compose", "1.29.2", 1, 29};
    const std::string base = "docker-compose --ansi never -p randhand -f /opt/app/dc.yml";
    runner.answers[base + " up -d --no-deps kafka"] = exited(0, "");
    runner.answers[base + " stop -t 30 web db"] = exited(0, "");
    CliCompose compose(v1, "randhand", "/opt/app/dc.yml", runner);
    const Cancel cancel;
    EXPECT_TRUE(compose.up_service("kafka", k_deadline, cancel).ok());
    EXPECT_TRUE(compose.stop_services({"web", "db"}, 30, k_deadline, cancel).ok());
    EXPECT_TRUE(compose.stop_services({}, 30, k_deadline, cancel).ok());  // runs nothing
    ASSERT_EQ(runner.specs.size(), 2u);
    for (const auto& spec : runner.specs) {
        EXPECT_EQ(spec.cwd, "/opt/app");
        ASSERT_EQ(spec.env.size(), 1u);
        EXPECT_EQ(spec.env[0].first, "COMPOSE_HTTP_TIMEOUT");
    }
    ScriptedRunner runner2;
    CliCompose v2(ComposeFlavour{{"docker", "compose"}, "docker compose", "2.26.1", 2, 26}, "p",
                  "/a/b.yml", runner2);
    (void)v2.up_service("x", k_deadline, cancel);
    ASSERT_EQ(runner2.specs.size(), 1u);
    EXPECT_EQ(joined(runner2.specs[0].argv),
              "docker compose --ansi never --progress plain -p p -f /a/b.yml up -d --no-deps x");
    EXPECT_TRUE(runner2.specs[0].env.empty());
}

TEST(ComposeCli, ErrorCarriesComposesOwnStderrTail) {
    ScriptedRunner runner;
    std::string err;
    for (int i = 1; i <= 30; ++i) {
        err += "progress line " + std::to_string(i) + "\n";
    }
    err += "ERROR: for kafka  Cannot start service kafka: driver failed\r\n\n";
    runner.answers["docker-compose --no-ansi -p p -f /a/b.yml up -d --no-deps kafka"] =
        exited(1, "", err);
    CliCompose compose(ComposeFlavour{{"docker-compose"}, "docker-compose", "1.25.0", 1, 25}, "p",
                       "/a/b.yml", runner);
    const Cancel cancel;
    auto status = compose.up_service("kafka", k_deadline, cancel);
    ASSERT_FALSE(status.ok());
    const std::string& m = status.error().message;
    EXPECT_EQ(m.rfind("docker-compose up -d --no-deps kafka exited with 1:\n", 0), 0u) << m;
    EXPECT_NE(m.find("Cannot start service kafka: driver failed"), std::string::npos);
    EXPECT_NE(m.find("progress line 22"), std::string::npos);
    EXPECT_EQ(m.find("progress line 21"), std::string::npos);  // only the last 10 lines
    EXPECT_EQ(m.find('\r'), std::string::npos);

    ProcessOutcome timeout;
    timeout.timed_out = true;
    timeout.err = "Creating kafka ...\n";
    runner.answers["docker-compose --no-ansi -p p -f /a/b.yml stop -t 5 kafka"] = timeout;
    auto stopped = compose.stop_services({"kafka"}, 5, k_deadline, cancel);
    ASSERT_FALSE(stopped.ok());
    EXPECT_NE(stopped.error().message.find("timed out"), std::string::npos);
}

// Docker's runtime refusing a start (runc's init gone under memory pressure: seen in the VM)
// is a server error, EIO like the Engine's HTTP 500, which the start loop retries once; any
// other compose failure carries no such code.
TEST(ComposeCli, RuntimeRefusalIsAServerError) {
    ScriptedRunner runner;
    const std::string base = "docker compose --ansi never --progress plain -p p -f /a/b.yml";
    runner.answers[base + " up -d --no-deps kafka"] = exited(
        1, "",
        " Container p-kafka-1  Starting\nError response from daemon: failed to create task for "
        "container: failed to create shim task: OCI runtime create failed: runc create failed: "
        "unable to start container process: waiting for init preliminary setup: read init-p: "
        "connection reset by peer: unknown\n");
    runner.answers[base + " up -d --no-deps web"] =
        exited(1, "", "Error response from daemon: No such image: web:1\n");
    CliCompose compose(ComposeFlavour{{"docker", "compose"}, "docker compose", "2.26.1", 2, 26},
                       "p", "/a/b.yml", runner);
    const Cancel cancel;
    const auto refused = compose.up_service("kafka", k_deadline, cancel);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, EIO) << refused.error().message;
    const auto missing = compose.up_service("web", k_deadline, cancel);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, 0) << missing.error().message;
}

// Issue 13 item 7: a SIGTERM while `docker compose version` runs is not "no compose found",
// and the fallback to docker-compose is not tried once the run is cancelled.
TEST(ComposeDetect, SigtermWhileProbingIsAnInterruptionNotNoCompose) {
    ScriptedRunner runner;
    runner.sigterm_during = "docker compose version --short";
    runner.answers["docker-compose version --short"] = exited(0, "1.29.2\n");
    const Cancel cancel;
    auto flavour = detect_compose(core::ComposeCommand::auto_detect, runner, k_deadline, cancel);
    ASSERT_FALSE(flavour.ok());
    EXPECT_EQ(flavour.error().code, ECANCELED) << flavour.error().message;
    EXPECT_EQ(flavour.error().message.find("no compose found"), std::string::npos)
        << flavour.error().message;
    EXPECT_EQ(runner.commands(), std::vector<std::string>{"docker compose version --short"});
}

// The cancelled child's error says so in its code too: callers map ECANCELED to 130/143 and
// ETIMEDOUT to the deadline without reading the text.
TEST(ComposeCli, CancelledOrTimedOutChildCarriesItsCode) {
    ScriptedRunner runner;
    const std::string base = "docker compose --ansi never --progress plain -p p -f /a/b.yml";
    runner.sigterm_during = base + " up -d --no-deps s1";
    ProcessOutcome timeout;
    timeout.timed_out = true;
    runner.answers[base + " stop -t 5 s1"] = timeout;
    CliCompose compose(ComposeFlavour{{"docker", "compose"}, "docker compose", "2.26.1", 2, 26},
                       "p", "/a/b.yml", runner);
    const Cancel cancel;
    const auto stopped = compose.stop_services({"s1"}, 5, k_deadline, cancel);
    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().code, ETIMEDOUT);
    const auto up = compose.up_service("s1", k_deadline, cancel);
    ASSERT_FALSE(up.ok());
    EXPECT_EQ(up.error().code, ECANCELED) << up.error().message;
}

// Issue 13 item 8: `compose up` on a frozen daemon waited until the run's deadline. The
// watchdog the hook sets ends it, and its error (naming the daemon) is the call's.
TEST(ComposeCli, WatchdogEndsAHangingChildWithItsError) {
    ScriptedRunner runner;
    const std::string base = "docker compose --ansi never --progress plain -p p -f /a/b.yml";
    runner.hangs = base + " up -d --no-deps s3";
    CliCompose compose(ComposeFlavour{{"docker", "compose"}, "docker compose", "2.26.1", 2, 26},
                       "p", "/a/b.yml", runner);
    std::vector<std::string> asked;
    compose.set_watchdog([&](const std::string& what, std::chrono::milliseconds running) {
        asked.push_back(what);
        if (running < std::chrono::seconds(12)) {
            return util::Status{};
        }
        return util::Status{
            util::Error{"Docker daemon at /run/docker.sock did not answer for 10s (GET /_ping)",
                        k_daemon_unresponsive}};
    });
    const Cancel cancel;
    const auto up = compose.up_service("s3", k_deadline, cancel);
    ASSERT_FALSE(up.ok());
    EXPECT_EQ(up.error().code, k_daemon_unresponsive);
    EXPECT_EQ(up.error().message,
              "Docker daemon at /run/docker.sock did not answer for 10s (GET /_ping)");
    ASSERT_EQ(asked.size(), 12u);
    EXPECT_EQ(asked[0], "docker compose up -d --no-deps s3");
}

TEST(ComposeCli, LastLines) {
    EXPECT_EQ(last_lines("a\nb\n\nc\n", 2), "b\nc");
    EXPECT_EQ(last_lines("only", 3), "only");
    EXPECT_EQ(last_lines("", 3), "");
    EXPECT_EQ(last_lines("\n\n\n", 3), "");
}

}  // namespace
}  // namespace stagehand::os
