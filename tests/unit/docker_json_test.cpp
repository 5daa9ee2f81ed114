// Parsers of the Docker Engine API's JSON, on answers captured from Docker 20.10 (API 1.41,
// see tests/fixtures/docker/README.md) and on hostile input.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "os/docker/engine_json.hpp"
#include "os/docker/image_ref.hpp"
#include "support/fixtures.hpp"

namespace stagehand::os {
namespace {

std::string fixture(const std::string& name) {
    return testing::fixture("docker/" + name);
}

TEST(DockerJsonInspect, RunningHealthyContainer) {
    auto c = parse_container_inspect(fixture("inspect_running_healthy.json"));
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->id, "8eeb56b1a73104a54736609b3679f01e4ab35df690a2e35f45ce2e95c5d3330c");
    EXPECT_EQ(c->name, "shfix_web_1");
    EXPECT_EQ(c->service, "web");
    EXPECT_EQ(c->status, "running");
    EXPECT_TRUE(c->running);
    EXPECT_FALSE(c->restarting);
    EXPECT_FALSE(c->oom_killed);
    EXPECT_EQ(c->exit_code, 0);
    EXPECT_EQ(c->pid, 8305);
    EXPECT_EQ(c->health, "healthy");
    EXPECT_EQ(c->started_at, "2026-11-25T16:42:45.484559288Z");
    EXPECT_EQ(c->finished_at, "0001-01-01T00:00:00Z");
    EXPECT_EQ(c->restart_count, 0);
    EXPECT_EQ(c->image, "127.0.0.1:5055/sh-test/busybox:1");
    EXPECT_EQ(c->image_id,
              "sha256:a741cef4b7a04b090cae5c5f39b661a18ed9c309c3ed704e3f1130ed829f7de2");
    EXPECT_EQ(c->ip_address, "172.17.0.3");
    EXPECT_FALSE(c->host_network);
    EXPECT_EQ(c->config_hash, "8bb94da84daeeedca019089f3d97949dae1cee097826753fab22a7cf98357f28");
}

struct InspectCase {
    const char* file;
    const char* status;
    bool running;
    bool oom_killed;
    int exit_code;
    const char* health;
    bool host_network;
    bool has_ip;
};

TEST(DockerJsonInspect, CapturedStates) {
    const InspectCase cases[] = {
        {"inspect_tty.json", "running", true, false, 0, "", false, true},
        {"inspect_exited.json", "exited", false, false, 3, "", false, false},
        {"inspect_oom_killed.json", "exited", false, true, 137, "", false, false},
        {"inspect_host_network.json", "running", true, false, 0, "", true, false},
    };
    for (const auto& t : cases) {
        SCOPED_TRACE(t.file);
        auto c = parse_container_inspect(fixture(t.file));
        ASSERT_TRUE(c.ok()) << c.error().message;
        EXPECT_EQ(c->status, t.status);
        EXPECT_EQ(c->running, t.running);
        EXPECT_EQ(c->oom_killed, t.oom_killed);
        EXPECT_EQ(c->exit_code, t.exit_code);
        EXPECT_EQ(c->health, t.health);
        EXPECT_EQ(c->host_network, t.host_network);
        EXPECT_EQ(!c->ip_address.empty(), t.has_ip);
        EXPECT_FALSE(c->service.empty());
    }
}

TEST(DockerJsonInspect, HostileInput) {
    // Not JSON, not an object, no Id: errors. Wrong types: defaults, never a throw.
    EXPECT_FALSE(parse_container_inspect("").ok());
    EXPECT_FALSE(parse_container_inspect("{\"Id\":").ok());
    EXPECT_FALSE(parse_container_inspect("[1,2]").ok());
    EXPECT_FALSE(parse_container_inspect("{}").ok());
    EXPECT_FALSE(parse_container_inspect("{\"Id\":42}").ok());
    EXPECT_FALSE(parse_container_inspect("\xff\xfe").ok());

    auto c = parse_container_inspect(
        R"({"Id":"abc","Name":7,"State":{"Running":"yes","ExitCode":"3","Pid":1e99,
            "OOMKilled":1,"Health":"healthy"},"RestartCount":99999999999,
            "Config":{"Labels":["x"]},"HostConfig":null,
            "NetworkSettings":{"Networks":{"a":{"IPAddress":5},"b":{"IPAddress":"10.0.0.2"}}}})");
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->id, "abc");
    EXPECT_EQ(c->name, "");
    EXPECT_FALSE(c->running);
    EXPECT_FALSE(c->oom_killed);
    EXPECT_EQ(c->exit_code, 0);
    EXPECT_EQ(c->pid, 0);
    EXPECT_EQ(c->health, "");
    EXPECT_EQ(c->restart_count, 2147483647);
    EXPECT_EQ(c->service, "");
    EXPECT_EQ(c->ip_address, "10.0.0.2");
    EXPECT_EQ(parse_container_inspect(R"({"Id":"x","State":{"ExitCode":-1}})")->exit_code, -1);
}

TEST(DockerJsonList, StatesFromTheListAlone) {
    auto list = parse_container_list(fixture("containers_list.json"));
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list->size(), 5u);
    const auto& oom = (*list)[0];
    EXPECT_EQ(oom.name, "shfix_oom_1");
    EXPECT_EQ(oom.service, "oom");
    EXPECT_EQ(oom.status, "exited");
    EXPECT_FALSE(oom.running);
    EXPECT_EQ(oom.image, "127.0.0.1:5055/sh-test/busybox:1");
    EXPECT_FALSE(oom.config_hash.empty());
    const auto& web = (*list)[1];
    EXPECT_TRUE(web.running);
    EXPECT_FALSE(web.restarting);
    EXPECT_EQ(web.ip_address, "172.17.0.3");
    EXPECT_TRUE((*list)[3].host_network);
    EXPECT_EQ((*list)[3].ip_address, "");

    EXPECT_FALSE(parse_container_list("{}").ok());
    auto odd = parse_container_list(R"([{"Id":"a","State":"restarting","Names":[]},3,{"Id":""}])");
    ASSERT_TRUE(odd.ok());
    ASSERT_EQ(odd->size(), 1u);
    EXPECT_TRUE(odd->front().restarting);
    EXPECT_FALSE(odd->front().running);
}

TEST(DockerJsonEvents, CapturedStreamMapsActions) {
    const std::string text = fixture("events_unfiltered.jsonl");
    std::map<std::string, int> actions;
    std::optional<DockerEvent> oom_die;
    std::optional<DockerEvent> healthy;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto event = parse_event(line);
        ASSERT_TRUE(event.has_value()) << line;
        EXPECT_EQ(event->container_id.size(), 64u);
        EXPECT_GT(event->time_nano, 1'700'000'000'000'000'000LL);
        ++actions[event->action];
        if (event->action == "die" && event->service == "oom") {
            oom_die = event;
        }
        if (event->action == "health_status") {
            healthy = event;
        }
    }
    EXPECT_EQ(actions["oom"], 4);
    EXPECT_EQ(actions["exec_start"], 21);  // "exec_start: /bin/busybox true" cut at ':'
    EXPECT_EQ(actions["restart"], 1);
    ASSERT_TRUE(oom_die.has_value());
    EXPECT_EQ(oom_die->exit_code, 137);
    ASSERT_TRUE(healthy.has_value());
    EXPECT_EQ(healthy->health, "healthy");
    EXPECT_EQ(healthy->service, "web");
    EXPECT_FALSE(healthy->exit_code.has_value());
}

TEST(DockerJsonEvents, HostileLines) {
    const char* dropped[] = {
        "",
        "garbage",
        "[]",
        R"({"Type":"network","Action":"connect","Actor":{"ID":"n1"}})",
        R"({"Type":"container","Actor":{"ID":"c1"}})",
        R"({"Type":"container","Action":"start"})",
        R"({"Type":"container","Action":"start","Actor":{"ID":7}})",
        R"({"Type":"container","Action":"start","Actor":"c1"})",
    };
    for (const char* line : dropped) {
        EXPECT_FALSE(parse_event(line).has_value()) << line;
    }
    auto e = parse_event(
        R"({"Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"x1"}},"timeNano":"5"})");
    ASSERT_TRUE(e.has_value());
    EXPECT_FALSE(e->exit_code.has_value());
    EXPECT_EQ(e->time_nano, 0);
    auto h = parse_event(
        R"({"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"c1"}})");
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->action, "health_status");
    EXPECT_EQ(h->health, "unhealthy");
}

TEST(DockerJsonPull, FreshAndUpToDate) {
    for (const char* file : {"pull_fresh.jsonl", "pull_up_to_date.jsonl"}) {
        SCOPED_TRACE(file);
        PullProgress progress;
        progress.feed(fixture(file));
        progress.finish();
        EXPECT_FALSE(progress.error().has_value());
        EXPECT_EQ(progress.digest(),
                  "sha256:41cdb257913eb63d5ccee02074e182324157bd4c6735d395aa771a54dbd41b0f");
        EXPECT_NE(progress.summary().find("Status: "), std::string::npos);
        EXPECT_EQ(progress.summary().find("Downloading"), std::string::npos);
    }
}

TEST(DockerJsonPull, ErrorInStreamIsVerbatimWhateverTheSplit) {
    const std::string text = fixture("pull_stream_error.jsonl");
    // Every split point: the stream arrives in arbitrary pieces.
    for (std::size_t cut = 0; cut <= text.size(); cut += 7) {
        PullProgress progress;
        progress.feed(std::string_view(text).substr(0, cut));
        progress.feed(std::string_view(text).substr(cut));
        progress.finish();
        ASSERT_TRUE(progress.error().has_value()) << cut;
        EXPECT_EQ(*progress.error(), "unknown blob");
    }
    PullProgress only_error;
    only_error.feed(R"({"error":"toomanyrequests: slow down"})");
    only_error.finish();
    EXPECT_EQ(only_error.error().value_or(""), "toomanyrequests: slow down");
    PullProgress junk;
    junk.feed("not json\n{\"status\":5}\n{\"errorDetail\":7}\n\n");
    junk.finish();
    EXPECT_FALSE(junk.error().has_value());
    EXPECT_EQ(junk.digest(), "");
}

TEST(DockerJsonErrors, MessageOfErrorAnswers) {
    EXPECT_EQ(parse_error_message(fixture("pull_manifest_unknown_404.json")),
              "manifest for 127.0.0.1:5055/sh-test/nope:1 not found: manifest unknown: "
              "manifest unknown");
    EXPECT_EQ(parse_error_message(fixture("pull_unreachable_500.json")),
              "Get \"http://127.0.0.1:5056/v2/\": dial tcp 127.0.0.1:5056: connect: connection "
              "refused");
    EXPECT_EQ(parse_error_message("  plain text\n"), "plain text");
    EXPECT_EQ(parse_error_message(""), "");
    EXPECT_EQ(parse_error_message(std::string(2000, 'x')).size(), 500u);
    EXPECT_EQ(parse_error_message(R"({"message":3})"), R"({"message":3})");
}

TEST(DockerJsonImages, DigestsAndList) {
    auto digests = parse_repo_digests(fixture("image_inspect.json"));
    ASSERT_TRUE(digests.ok());
    EXPECT_EQ(pick_repo_digest(*digests, "127.0.0.1:5055/sh-test/busybox:1"),
              "sha256:41cdb257913eb63d5ccee02074e182324157bd4c6735d395aa771a54dbd41b0f");
    EXPECT_FALSE(parse_repo_digests("[]").ok());
    EXPECT_TRUE(parse_repo_digests(R"({"RepoDigests":null})")->empty());

    auto list = parse_image_list(fixture("images_list.json"));
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ(list->front().first, "127.0.0.1:5055/sh-test/busybox:1");
    EXPECT_EQ(list->front().second,
              "sha256:a741cef4b7a04b090cae5c5f39b661a18ed9c309c3ed704e3f1130ed829f7de2");
    auto untagged = parse_image_list(
        R"([{"Id":"sha256:1","RepoTags":["<none>:<none>"],"RepoDigests":["r@sha256:d"]},
            {"Id":"sha256:2"},{"RepoTags":["x:1"]}])");
    ASSERT_TRUE(untagged.ok());
    ASSERT_EQ(untagged->size(), 2u);
    EXPECT_EQ((*untagged)[0], std::make_pair(std::string("r@sha256:d"), std::string("sha256:1")));
    EXPECT_EQ((*untagged)[1], std::make_pair(std::string(), std::string("sha256:2")));
}

TEST(DockerJsonLogs, MultiplexedAndTty) {
    EXPECT_EQ(split_log_lines(demultiplex_logs(fixture("logs_multiplexed.bin"))),
              (std::vector<std::string>{"hello stdout", "hello stderr"}));
    EXPECT_EQ(split_log_lines(demultiplex_logs(fixture("logs_tty.bin"))),
              (std::vector<std::string>{"tty line one", "tty line two"}));
    // A frame whose size runs past the end, or a bad stream byte: taken as raw output.
    const std::string bad_size("\x01\0\0\0\0\0\0\x09short", 13);
    EXPECT_EQ(demultiplex_logs(bad_size), bad_size);
    const std::string bad_stream("\x05\0\0\0\0\0\0\x01x", 9);
    EXPECT_EQ(demultiplex_logs(bad_stream), bad_stream);
    EXPECT_EQ(demultiplex_logs(""), "");
    EXPECT_EQ(split_log_lines("a\n\nb"), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_TRUE(split_log_lines("").empty());
}

TEST(DockerJsonLines, SplitterCutsLongLines) {
    LineSplitter splitter(4);
    std::vector<std::string> lines;
    auto keep = [&](std::string_view line) { lines.emplace_back(line); };
    splitter.feed("ab", keep);
    splitter.feed("cdefgh\nxy", keep);
    splitter.feed("z\n", keep);
    splitter.feed("tail", keep);
    splitter.finish(keep);
    EXPECT_EQ(lines, (std::vector<std::string>{"abcd", "xyz", "tail"}));
}

TEST(DockerJsonTime, Rfc3339) {
    auto t = parse_rfc3339("2026-11-25T16:42:45.484559288Z");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->seconds, 1795624965);
    EXPECT_EQ(t->nanos, 484559288);
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z")->seconds, 0);
    EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00")->seconds, 0);
    EXPECT_EQ(parse_rfc3339("2026-11-25T16:42:45.5Z")->nanos, 500000000);
    EXPECT_LT(parse_rfc3339("0001-01-01T00:00:00Z")->seconds, 0);
    for (const char* bad :
         {"", "2026-11-25", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T16:42:45",
          "2026-11-25T16:42:45+0100", "2026-11-25 16:42:45Z", "20x6-11-25T16:42:45Z"}) {
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
    }
}

TEST(DockerImageRef, Split) {
    struct Case {
        const char* in;
        const char* repository;
        const char* tag;
        const char* digest;
    } cases[] = {
        {"kafka", "kafka", "latest", ""},
        {"kafka:1", "kafka", "1", ""},
        {"127.0.0.1:5000/randhand/kafka:1", "127.0.0.1:5000/randhand/kafka", "1", ""},
        {"127.0.0.1:5000/randhand/kafka", "127.0.0.1:5000/randhand/kafka", "latest", ""},
        {"r@sha256:abc", "r", "", "sha256:abc"},
        {"host:1/r:2@sha256:abc", "host:1/r", "2", "sha256:abc"},
    };
    for (const auto& c : cases) {
        const ImageRef ref = split_image_ref(c.in);
        EXPECT_EQ(ref.repository, c.repository) << c.in;
        EXPECT_EQ(ref.tag, c.tag) << c.in;
        EXPECT_EQ(ref.digest, c.digest) << c.in;
    }
    const std::vector<std::string> digests = {"other@sha256:1", "busybox@sha256:2"};
    EXPECT_EQ(pick_repo_digest(digests, "docker.io/library/busybox:1"), "sha256:2");
    EXPECT_EQ(pick_repo_digest(digests, "nothere:1"), "sha256:1");
    EXPECT_EQ(pick_repo_digest({"garbage"}, "x"), "");
}

// The one reading of Docker's state the start loop and validate-service share: "created" is
// not an exit yet, a restart in progress is not one either, "exited" and "dead" are.
TEST(ContainerStateRule, ExitedMeansStoppedAfterItRan) {
    const auto state = [](std::string status, bool running, bool restarting) {
        ContainerState c;
        c.status = std::move(status);
        c.running = running;
        c.restarting = restarting;
        return c;
    };
    EXPECT_FALSE(state("created", false, false).has_exited());
    EXPECT_FALSE(state("running", true, false).has_exited());
    EXPECT_FALSE(state("restarting", true, true).has_exited());
    EXPECT_FALSE(state("restarting", false, true).has_exited());
    EXPECT_TRUE(state("exited", false, false).has_exited());
    EXPECT_TRUE(state("dead", false, false).has_exited());
    EXPECT_TRUE(state("removing", false, false).has_exited());
}

}  // namespace
}  // namespace stagehand::os
