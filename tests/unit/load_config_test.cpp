#include "core/load/config_loader.hpp"
#include "runtime/input_files.hpp"
#include "support/bad_input.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace stagehand::core {
namespace {

const std::string k_fixtures = std::string(STAGEHAND_FIXTURES) + "/load";

// The Diagnostic of loading `text`, or a test failure when it loads.
Diagnostic config_error(const std::string& text) {
    return testing::diagnostic_of([&] { load_config_text(text, "stagehand.yml"); }, text);
}

using BadRow = testing::BadInputRow;

// One row per class of bad input (SPEC section 3 and 4).
const BadRow k_bad[] = {
    {"yaml syntax", "version: 1\nstartup: [a, b\n", 2, 15, "", "invalid YAML"},
    {"two documents", "version: 1\n---\nversion: 1\n", 2, 1, "", "one YAML document"},
    // Found by fuzz_config: yaml-cpp's LoadAll never returns on this input.
    {"stray comma", ",v2\nmemory: \tve\n 2\n", 1, 1, "", "invalid YAML: unexpected `,`"},
    {"top not a map", "- version\n", 1, 1, "", "expected a map, got a list"},
    {"empty file", "", 0, 0, "version", "required key `version` is missing"},
    {"version missing", "compose: {}\n", 1, 1, "version", "required key `version`"},
    {"version 2", "version: 2\n", 1, 10, "version", "expected 1"},
    {"unknown top key", "version: 1\nstratup: {}\n", 2, 1, "stratup", "did you mean `startup`?"},
    {"unknown nested key", "version: 1\nstartup:\n  timout: 5m\n", 3, 3, "startup.timout",
     "unknown key `timout`; did you mean `timeout`?"},
    {"unknown key far off", "version: 1\npull:\n  zzzzzz: 1\n", 3, 3, "pull.zzzzzz",
     "valid keys: policy, parallel, retries, timeout, pin, keep"},
    {"duplicate key", "version: 1\npull:\n  retries: 1\n  retries: 2\n", 4, 3, "pull.retries",
     "duplicate key `retries` (first at line 3)"},
    {"gate enum", "version: 1\nstartup:\n  gate: fast\n", 3, 9, "startup.gate",
     "expected one of adaptive, sleep, none, got \"fast\""},
    {"gate typo", "version: 1\nstartup:\n  gate: adaptiv\n", 3, 9, "startup.gate",
     "did you mean `adaptive`?"},
    {"gate null", "version: 1\nstartup:\n  gate:\n", 3, 3, "startup.gate", "got nothing"},
    {"gate list", "version: 1\nstartup:\n  gate: [a]\n", 3, 9, "startup.gate", "got a list"},
    {"on_timeout enum", "version: 1\nstartup:\n  on_timeout: retry\n", 3, 15, "startup.on_timeout",
     "expected one of fail, proceed"},
    {"pull policy", "version: 1\npull:\n  policy: sometimes\n", 3, 11, "pull.policy",
     "expected one of always, missing, never"},
    {"pull pin", "version: 1\npull:\n  pin: always\n", 3, 8, "pull.pin",
     "expected one of rollback, never, got \"always\""},
    {"pull keep 0", "version: 1\npull:\n  keep: 0\n", 3, 9, "pull.keep", "between 1 and 100"},
    {"compose command", "version: 1\ncompose:\n  command: docker\n", 3, 12, "compose.command",
     "expected one of auto, \"docker compose\", docker-compose"},
    {"concurrency 0", "version: 1\nstartup:\n  concurrency: 0\n", 3, 16, "startup.concurrency",
     "expected an integer between 1 and 1000, got 0"},
    {"concurrency text", "version: 1\nstartup:\n  concurrency: two\n", 3, 16, "startup.concurrency",
     "expected auto or a number between 1 and 1000, got \"two\""},
    {"concurrency typo", "version: 1\nstartup:\n  concurrency: atuo\n", 3, 16,
     "startup.concurrency", "did you mean `auto`?"},
    {"max_concurrency 0", "version: 1\nstartup:\n  max_concurrency: 0\n", 3, 20,
     "startup.max_concurrency", "between 1 and 1000"},
    {"quiet no percent", "version: 1\nstartup:\n  quiet: 10\n", 3, 10, "startup.quiet",
     "expected a percentage like 10%"},
    {"quiet zero", "version: 1\nstartup:\n  quiet: 0%\n", 3, 10, "startup.quiet",
     "above 0% and at most 100%"},
    {"learn_margin over", "version: 1\nstartup:\n  learn_margin: 150%\n", 3, 17,
     "startup.learn_margin", "between 0% and 100%"},
    {"learn_margin negative", "version: 1\nstartup:\n  learn_margin: -5%\n", 3, 17,
     "startup.learn_margin", "cannot be negative"},
    {"parallel 0", "version: 1\npull:\n  parallel: 0\n", 3, 13, "pull.parallel",
     "between 1 and 64"},
    {"retries negative", "version: 1\npull:\n  retries: -1\n", 3, 12, "pull.retries",
     "between 0 and 100"},
    {"backups negative", "version: 1\nstage:\n  backups: -1\n", 3, 12, "stage.backups",
     "between 0 and 1000"},
    {"psi over 100", "version: 1\nstartup:\n  psi: 101\n", 3, 8, "startup.psi",
     "between 0 and 100"},
    {"psi text", "version: 1\nstartup:\n  psi: high\n", 3, 8, "startup.psi", "expected a number"},
    {"duration garbage", "version: 1\nstartup:\n  poll: fast\n", 3, 9, "startup.poll",
     "expected a duration like 500ms"},
    {"duration zero", "version: 1\nstartup:\n  poll: 0\n", 3, 9, "startup.poll",
     "greater than zero"},
    {"duration negative", "version: 1\npull:\n  timeout: -5s\n", 3, 12, "pull.timeout",
     "cannot be negative"},
    {"duration unit", "version: 1\nlock_timeout: 5d\n", 2, 15, "lock_timeout",
     "unknown unit \"d\""},
    {"bool", "version: 1\nstage:\n  stop: yes\n", 3, 9, "stage.stop",
     "expected true or false, got \"yes\""},
    {"memory_source", "version: 1\nstartup:\n  memory_source: cgroups\n", 3, 18,
     "startup.memory_source", "expected one of auto, meminfo, cgroup:<folder>"},
    {"memory_source dot dot", "version: 1\nstartup:\n  memory_source: cgroup:a/../b\n", 3, 18,
     "startup.memory_source", "without \".\" or \"..\" components"},
    {"memory_source root", "version: 1\nstartup:\n  memory_source: cgroup:/\n", 3, 18,
     "startup.memory_source", "the hierarchy's root"},
    {"reserve percent", "version: 1\nstartup:\n  reserve: 120%\n", 3, 12, "startup.reserve",
     "between 0% and 100%"},
    {"default_need size", "version: 1\nstartup:\n  default_need: lots\n", 3, 17,
     "startup.default_need", "expected a size"},
    {"services scalar", "version: 1\nstartup:\n  services: kafka\n", 3, 13, "startup.services",
     "expected a list, got \"kafka\""},
    {"services item", "version: 1\nstartup:\n  services: [kafka, {a: b}]\n", 3, 21,
     "startup.services[1]", "expected a string, got a map"},
    {"per_service need", "version: 1\nstartup:\n  per_service:\n    kafka:\n      need: 400XB\n", 5,
     13, "startup.per_service.kafka.need", "unknown unit \"XB\""},
    {"per_service unknown", "version: 1\nstartup:\n  per_service:\n    kafka:\n      nead: 4\n", 5,
     7, "startup.per_service.kafka.nead", "did you mean `need`?"},
    {"per_service scalar", "version: 1\nstartup:\n  per_service:\n    kafka: 400MiB\n", 4, 12,
     "startup.per_service.kafka", "expected a map"},
    {"ready without kind",
     "version: 1\nstartup:\n  per_service:\n    kafka:\n      ready: {timeout: 2s}\n", 5, 14,
     "startup.per_service.kafka.ready", "expected a probe: one of http, tcp"},
    {"two kinds",
     "version: 1\nstartup:\n  per_service:\n    k:\n      ready: {tcp: \"k:1\", http: "
     "\"http://k/\"}\n",
     5, 27, "startup.per_service.k.ready.http", "found both `tcp` and `http`"},
    {"http url", "version: 1\nvalidate:\n  checks:\n    - service: g\n      http: g:8000/x\n", 5,
     13, "validate.checks[0].http", "expected an http:// URL"},
    {"https url", "version: 1\nvalidate:\n  checks:\n    - service: g\n      http: https://g/\n", 5,
     13, "validate.checks[0].http", "https is not supported"},
    {"tcp no port", "version: 1\nvalidate:\n  checks:\n    - service: k\n      tcp: kafka\n", 5, 12,
     "validate.checks[0].tcp", "missing port"},
    {"tcp ipv6", "version: 1\nvalidate:\n  checks:\n    - service: k\n      tcp: ::1:80\n", 5, 12,
     "validate.checks[0].tcp", "brackets"},
    {"status out of range",
     "version: 1\nvalidate:\n  checks:\n    - service: g\n      http: http://g/\n      "
     "status: [200, 600]\n",
     6, 21, "validate.checks[0].status[1]", "100-599"},
    {"status range reversed",
     "version: 1\nvalidate:\n  checks:\n    - service: g\n      http: http://g/\n      "
     "status: [\"299-200\"]\n",
     6, 16, "validate.checks[0].status[0]", "low to high"},
    {"status on tcp",
     "version: 1\nvalidate:\n  checks:\n    - service: k\n      tcp: k:1\n      status: 200\n", 6,
     15, "validate.checks[0].status", "applies only to http probes"},
    {"body on running", "version: 1\nvalidate:\n  checks:\n    - service: k\n      body: UP\n", 5,
     13, "validate.checks[0].body", "applies only to http probes"},
    {"bad regex", "version: 1\nvalidate:\n  checks:\n    - service: k\n      log: \"(\"\n", 5, 12,
     "validate.checks[0].log", "invalid regular expression"},
    {"huge regex repetition",
     "version: 1\nvalidate:\n  checks:\n    - service: k\n      log: \"a{99999999}\"\n", 5, 12,
     "validate.checks[0].log", "repeats too much"},
    {"empty command", "version: 1\nvalidate:\n  checks:\n    - service: k\n      command: []\n", 5,
     16, "validate.checks[0].command", "non-empty command"},
    {"command string",
     "version: 1\nvalidate:\n  checks:\n    - service: k\n      command: curl -f x\n", 5, 16,
     "validate.checks[0].command", "expected a list of strings"},
    {"healthy false", "version: 1\nvalidate:\n  checks:\n    - service: k\n      healthy: false\n",
     5, 16, "validate.checks[0].healthy", "expected true"},
    {"probe timeout zero",
     "version: 1\nvalidate:\n  checks:\n    - service: k\n      tcp: k:1\n      timeout: 0s\n", 6,
     16, "validate.checks[0].timeout", "greater than zero"},
    {"check without service", "version: 1\nvalidate:\n  checks:\n    - tcp: k:1\n", 4, 7,
     "validate.checks[0].service", "required key `service` is missing"},
    {"check key typo", "version: 1\nvalidate:\n  checks:\n    - servce: k\n", 4, 7,
     "validate.checks[0].servce", "did you mean `service`?"},
    {"stable >= timeout", "version: 1\nvalidate:\n  timeout: 5s\n  stable: 10s\n", 4, 11,
     "validate.stable", "must be shorter than validate.timeout"},
    {"source absolute",
     "version: 1\nstage:\n  files:\n    - source: /etc/passwd\n      destination: /x/y\n", 4, 15,
     "stage.files[0].source", "relative to the bundle root"},
    {"source dotdot",
     "version: 1\nstage:\n  files:\n    - source: ../secret\n      destination: /x/y\n", 4, 15,
     "stage.files[0].source", "cannot leave the bundle"},
    {"destination relative",
     "version: 1\nstage:\n  files:\n    - source: a\n      destination: x/y\n", 5, 20,
     "stage.files[0].destination", "expected an absolute path"},
    {"destination dotdot",
     "version: 1\nstage:\n  files:\n    - source: a\n      destination: /x/../y\n", 5, 20,
     "stage.files[0].destination", "normalised path"},
    {"destination missing", "version: 1\nstage:\n  files:\n    - source: a\n", 4, 7,
     "stage.files[0].destination", "required key `destination`"},
    {"mode bare int",
     "version: 1\nstage:\n  files:\n    - source: a\n      destination: /x/y\n      mode: "
     "644\n",
     6, 13, "stage.files[0].mode", "ambiguous mode 644: write it as a quoted octal string"},
    {"mode not octal",
     "version: 1\nstage:\n  files:\n    - source: a\n      destination: /x/y\n      mode: "
     "\"0999\"\n",
     6, 13, "stage.files[0].mode", "octal mode"},
    {"owner colon",
     "version: 1\nstage:\n  files:\n    - source: a\n      destination: /x/y\n      owner: "
     "a:b\n",
     6, 14, "stage.files[0].owner", "user or group name"},
    {"clean relative", "version: 1\nstage:\n  clean: [opt/app]\n", 3, 11, "stage.clean[0]",
     "absolute path"},
    {"state_dir relative", "version: 1\nstate_dir: var/lib\n", 2, 12, "state_dir", "absolute path"},
    {"project name", "version: 1\ncompose:\n  project: Rand Hand\n", 3, 12, "compose.project",
     "compose project name"},
    {"merge key scalar", "version: 1\npull:\n  <<: 3\n", 3, 3, "pull", "merge key"},
};

TEST(LoadConfig, RejectsEachClassOfBadInput) {
    for (const auto& row : k_bad) {
        SCOPED_TRACE(row.name);
        Diagnostic d = config_error(row.yaml);
        testing::expect_diagnostic(d, row, "stagehand.yml");
        if (d.at.line > 0) {
            EXPECT_FALSE(d.source_line.empty());
        }
    }
}

TEST(LoadConfig, RejectsNulBytes) {
    Diagnostic d = config_error(std::string("version: 1\nlog_dir: /a\0b\n", 23));
    EXPECT_EQ(d.at.line, 2);
    EXPECT_EQ(d.at.column, 12);
    EXPECT_NE(d.message.find("NUL byte"), std::string::npos);
}

TEST(LoadConfig, FormatsLikeACompiler) {
    Diagnostic d = config_error("version: 1\nstartup:\n  gate: fast\n");
    EXPECT_EQ(d.format(),
              "stagehand.yml:3:9: error: startup.gate: expected one of adaptive, sleep, none, "
              "got \"fast\"\n"
              "      gate: fast\n"
              "            ^");
}

// Every part may hold input bytes: none may forge a line or break UTF-8 (issue 13 item 11).
TEST(LoadConfig, FormatSanitisesEveryPart) {
    Diagnostic d;
    d.at = SourceMark{"dir\n/stagehand.yml", 3, 9};
    d.key = "services.a\nFAILED: fake verdict";
    d.message = "bad \x1b[31mname\x1b[0m caf\xe9\xff";
    d.source_line = "  a\tb\x01: caf\xe9\xff x";
    EXPECT_EQ(d.format(),
              "dir /stagehand.yml:3:9: error: services.a FAILED: fake verdict: bad name "
              "caf\xEF\xBF\xBD\xEF\xBF\xBD\n"
              "      a b: caf\xEF\xBF\xBD\xEF\xBF\xBD x\n"
              "           ^");
}

TEST(LoadConfig, FullSpecExampleLoads) {
    Config c = runtime::load_config_file(k_fixtures + "/stagehand-full.yml");
    EXPECT_EQ(c.path, k_fixtures + "/stagehand-full.yml");
    EXPECT_EQ(c.version, 1);
    EXPECT_EQ(c.compose.file, "docker-compose.yml");
    EXPECT_EQ(c.compose.file_mark.line, 4);
    EXPECT_EQ(c.compose.project, "randhand");
    EXPECT_EQ(c.compose.command, ComposeCommand::auto_detect);
    EXPECT_EQ(c.lock_timeout, Millis{300000});
    ASSERT_EQ(c.stage.clean.size(), 1U);
    EXPECT_EQ(c.stage.clean[0], "/opt/app/current");
    EXPECT_EQ(c.stage.clean_marks[0].line, 15);
    ASSERT_EQ(c.stage.files.size(), 1U);
    const StageFile& f = c.stage.files[0];
    EXPECT_EQ(f.source, "deploy/docker-compose.yml");
    EXPECT_EQ(f.destination, "/home/ec2-user/docker-compose.yml");
    EXPECT_EQ(f.mode, 0644U);
    EXPECT_EQ(f.owner, "ec2-user");
    EXPECT_EQ(f.group, "ec2-user");
    EXPECT_EQ(f.mark.line, 17);
    EXPECT_EQ(c.pull.policy, PullPolicy::always);
    EXPECT_EQ(c.pull.timeout, Millis{600000});
    EXPECT_TRUE(c.startup.services.empty());
    EXPECT_EQ(c.startup.gate, Gate::adaptive);
    EXPECT_EQ(c.startup.reserve.bytes, 128 * k_mib);
    EXPECT_DOUBLE_EQ(c.startup.psi, 20.0);
    EXPECT_EQ(c.startup.poll, Millis{500});
    const ServiceOverrides& kafka = c.startup.per_service.at("kafka");
    EXPECT_EQ(kafka.need, 400 * k_mib);
    ASSERT_TRUE(kafka.ready.has_value());
    EXPECT_EQ(kafka.ready->kind, ProbeKind::tcp);
    EXPECT_EQ(kafka.ready->tcp.host, "kafka");
    EXPECT_EQ(kafka.ready->tcp.port, 9092);
    EXPECT_EQ(kafka.timeout, Millis{480000});
    EXPECT_EQ(kafka.mark.line, 45);
    ASSERT_EQ(c.validate.checks.size(), 2U);
    const Check& gateway = c.validate.checks[0];
    EXPECT_EQ(gateway.service, "gateway-service");
    EXPECT_EQ(gateway.mark.line, 55);
    EXPECT_FALSE(gateway.implicit);
    EXPECT_EQ(gateway.probe.kind, ProbeKind::http);
    EXPECT_EQ(gateway.probe.http.host_port.port, 8000);
    EXPECT_EQ(gateway.probe.http.path_and_query, "/actuator/health");
    EXPECT_EQ(gateway.probe.status_ranges, (std::vector<std::pair<int, int>>{{200, 200}}));
    EXPECT_EQ(gateway.probe.body, "\"status\":\"UP\"");
    EXPECT_EQ(gateway.probe.timeout, Millis{2000});
    EXPECT_EQ(c.validate.checks[1].probe.kind, ProbeKind::tcp);
}

// Issue 13.14: host checks of owner/group (an unknown user) point at the key's own line.
TEST(LoadConfig, StageFileKeepsTheOwnerAndGroupPositions) {
    Config c = load_config_text(
        "version: 1\nstage:\n  files:\n    - source: a\n      destination: /x/y\n"
        "      owner: no-such-user\n      group: staff\n",
        "s.yml");
    ASSERT_EQ(c.stage.files.size(), 1U);
    EXPECT_EQ(c.stage.files[0].mark.line, 4);
    EXPECT_EQ(c.stage.files[0].owner_mark.line, 6);
    EXPECT_EQ(c.stage.files[0].owner_mark.column, 14);
    EXPECT_EQ(c.stage.files[0].group_mark.line, 7);
}

TEST(LoadConfig, RelativeCgroupFolderStaysRelativeForTheHostToResolve) {
    Config c =
        load_config_text("version: 1\nstartup:\n  memory_source: cgroup:app//t2micro/\n", "s.yml");
    EXPECT_EQ(c.startup.memory_source.kind, MemorySourceKind::cgroup);
    EXPECT_EQ(c.startup.memory_source.cgroup_path, "app/t2micro");
}

TEST(LoadConfig, AbsentKeysKeepDefaults) {
    Config c = runtime::load_config_file(k_fixtures + "/stagehand-minimal.yml");
    Config defaults;
    EXPECT_EQ(c.state_dir, defaults.state_dir);
    EXPECT_EQ(c.log_dir, defaults.log_dir);
    EXPECT_EQ(c.lock_timeout, defaults.lock_timeout);
    EXPECT_FALSE(c.compose.file.has_value());
    EXPECT_EQ(c.stage.backups, 3);
    EXPECT_EQ(c.pull.retries, 3);
    EXPECT_EQ(c.pull.pin, PinMode::rollback);
    EXPECT_EQ(c.pull.keep, 2);
    EXPECT_EQ(c.startup.gate, Gate::adaptive);
    EXPECT_EQ(c.startup.sleep, Millis{60000});
    EXPECT_EQ(c.startup.default_need, 256 * k_mib);
    EXPECT_EQ(c.startup.memory_source.kind, MemorySourceKind::auto_detect);
    EXPECT_EQ(c.validate.stable, Millis{10000});
    EXPECT_TRUE(c.validate.checks.empty());
    // Empty sections are allowed and change nothing.
    Config empty = load_config_text("version: 1\nstartup:\nvalidate: {}\nstage:\n", "s.yml");
    EXPECT_EQ(empty.startup.concurrency, k_concurrency_auto);
    EXPECT_EQ(empty.startup.max_concurrency, 4);
    EXPECT_EQ(empty.startup.quiet, 10.0);
    EXPECT_EQ(empty.startup.learn_margin, 10.0);
    EXPECT_EQ(empty.startup.settle, Millis{1000});
}

TEST(LoadConfig, AcceptsTheOtherValueForms) {
    Config c = load_config_text(R"(version: 1
state_dir: /var/lib//stagehand/
lock_timeout: 0
compose: {command: "docker compose", file: /srv/app/compose.yaml}
stage:
  files:
    - {source: ./deploy//a.yml, destination: /etc/app/a.yml, mode: 0644}
    - {source: b, destination: /etc/app/b, mode: "755"}
startup:
  services: [zookeeper, kafka]
  memory_source: cgroup:/sys/fs/cgroup/randhand.slice/
  reserve: 10%
  psi: 12.5
  gate: sleep
  sleep: 1m30s
  concurrency: auto
  max_concurrency: 6
  quiet: 5.5%
  learn_margin: 0%
  per_service:
    web:
      ready: {http: "http://web:8080/health", status: ["200-299", 3xx, 404]}
    worker:
      ready: {log: "started in [0-9]+ ms", timeout: 500ms}
      on_timeout: proceed
    job:
      ready: {command: [test, -f, /tmp/ready]}
    db:
      ready: {healthy: true}
validate:
  checks:
    - service: worker
)",
                                "stagehand.yml");
    EXPECT_EQ(c.state_dir, "/var/lib/stagehand");
    EXPECT_EQ(c.lock_timeout, Millis{0});
    EXPECT_EQ(c.compose.command, ComposeCommand::v2);
    EXPECT_EQ(c.stage.files[0].source, "deploy/a.yml");
    EXPECT_EQ(c.stage.files[0].mode, 0644U);
    EXPECT_EQ(c.stage.files[1].mode, 0755U);
    EXPECT_EQ(c.startup.services, (std::vector<std::string>{"zookeeper", "kafka"}));
    ASSERT_EQ(c.startup.service_marks.size(), 2U);
    EXPECT_EQ(c.startup.service_marks[1].line, 10);
    EXPECT_EQ(c.startup.service_marks[1].column, 25);
    EXPECT_EQ(c.startup.memory_source.kind, MemorySourceKind::cgroup);
    EXPECT_EQ(c.startup.memory_source.cgroup_path, "/sys/fs/cgroup/randhand.slice");
    EXPECT_TRUE(c.startup.reserve.is_percent);
    EXPECT_DOUBLE_EQ(c.startup.reserve.percent, 10.0);
    EXPECT_DOUBLE_EQ(c.startup.psi, 12.5);
    EXPECT_EQ(c.startup.gate, Gate::sleep);
    EXPECT_EQ(c.startup.sleep, Millis{90000});
    EXPECT_EQ(c.startup.concurrency, k_concurrency_auto);
    EXPECT_EQ(c.startup.max_concurrency, 6);
    EXPECT_DOUBLE_EQ(c.startup.quiet, 5.5);
    EXPECT_DOUBLE_EQ(c.startup.learn_margin, 0.0);
    const auto& web = *c.startup.per_service.at("web").ready;
    EXPECT_EQ(web.status_ranges,
              (std::vector<std::pair<int, int>>{{200, 299}, {300, 399}, {404, 404}}));
    const auto& worker = c.startup.per_service.at("worker");
    EXPECT_EQ(worker.ready->kind, ProbeKind::log);
    EXPECT_EQ(worker.ready->timeout, Millis{500});
    EXPECT_EQ(worker.on_timeout, OnTimeout::proceed);
    EXPECT_EQ(c.startup.per_service.at("job").ready->argv,
              (std::vector<std::string>{"test", "-f", "/tmp/ready"}));
    EXPECT_EQ(c.startup.per_service.at("db").ready->kind, ProbeKind::healthy);
    ASSERT_EQ(c.validate.checks.size(), 1U);
    EXPECT_TRUE(c.validate.checks[0].implicit);
    EXPECT_EQ(c.validate.checks[0].probe.kind, ProbeKind::running);
}

TEST(LoadConfig, MergeKeysApply) {
    Config c = load_config_text(R"(version: 1
startup:
  per_service:
    a: &java {need: 300MiB, timeout: 2m}
    b:
      <<: *java
      need: 500MiB
)",
                                "stagehand.yml");
    EXPECT_EQ(c.startup.per_service.at("b").need, 500 * k_mib);
    EXPECT_EQ(c.startup.per_service.at("b").timeout, Millis{120000});
}

TEST(LoadConfig, MissingFileIsAnInputError) {
    auto dir =
        std::filesystem::temp_directory_path() / ("load_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    try {
        runtime::load_config_file((dir / "absent.yml").string());
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostic().at.file, (dir / "absent.yml").string());
        EXPECT_NE(e.diagnostic().message.find("No such file"), std::string::npos);
    }
    try {
        runtime::load_config_file(dir.string());  // a folder
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(e.diagnostic().message.find("cannot read"), std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stagehand::core
