#include "core/load/compose_loader.hpp"
#include "core/load/compose_ports.hpp"
#include "runtime/input_files.hpp"
#include "support/bad_input.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace stagehand::core {
namespace {

const std::string k_fixtures = std::string(STAGEHAND_FIXTURES) + "/load";

Diagnostic compose_error(const std::string& text) {
    return testing::diagnostic_of([&] { load_compose_text(text, "/srv/docker-compose.yml"); },
                                  text);
}

using BadRow = testing::BadInputRow;

const BadRow k_bad[] = {
    {"yaml syntax", "services:\n  web: {image: x\n", 2, 0, "", "invalid YAML"},
    {"not a map", "just text\n", 1, 1, "", "expected a map"},
    // Found by fuzz_compose: yaml-cpp's LoadAll never returns on this input.
    {"stray comma", ",\x98o\n", 1, 1, "", "invalid YAML: unexpected `,`"},
    {"no services", "name: app\n", 1, 1, "services", "required key `services` is missing"},
    {"services null", "services:\n", 1, 1, "services", "expected at least one service"},
    {"services empty", "services: {}\n", 1, 11, "services", "expected at least one service"},
    // Found by fuzz_compose: loaded with no service at all.
    {"only extensions", "services:\n  x-base: {image: x}\n", 2, 3, "services",
     "found only `x-` extension entries"},
    {"services list", "services: [web]\n", 1, 11, "services", "expected a map, got a list"},
    {"service null", "services:\n  web:\n", 2, 3, "services.web", "neither `image` nor `build`"},
    {"service without image", "services:\n  web:\n    restart: always\n", 2, 3, "services.web",
     "service `web` has neither `image` nor `build`"},
    {"service scalar", "services:\n  web: nginx\n", 2, 8, "services.web", "expected a map"},
    {"service name", "services:\n  web app:\n    image: x\n", 2, 3, "services.web app",
     "invalid service name"},
    // Docker references are printable ASCII: anything else would reach the manifest and the
    // console raw (issue 13 item 11); `${VAR}` interpolation stays allowed.
    {"image with an escape", "services:\n  web:\n    image: \"ng\\e[31mx\"\n", 3, 12,
     "services.web.image", "invalid image reference"},
    {"image with invalid UTF-8", "services:\n  web:\n    image: caf\xe9\xff\n", 3, 12,
     "services.web.image", "printable ASCII"},
    {"image with a space", "services:\n  web:\n    image: \"nginx 1\"\n", 3, 12,
     "services.web.image", "invalid image reference"},
    {"duplicate service", "services:\n  web: {image: x}\n  web: {image: y}\n", 3, 3, "services.web",
     "duplicate key `web` (first at line 2)"},
    {"unknown dependency (list)",
     "services:\n  web:\n    image: x\n    depends_on:\n      - dbs\n  db:\n    image: y\n", 5, 9,
     "services.web.depends_on", "unknown service `dbs`; did you mean `db`?"},
    {"unknown dependency (map)",
     "services:\n  web:\n    image: x\n    depends_on:\n      cache:\n        condition: "
     "service_started\n",
     5, 7, "services.web.depends_on", "unknown service `cache`"},
    {"bad condition",
     "services:\n  db: {image: y}\n  web:\n    image: x\n    depends_on:\n      db:\n        "
     "condition: service_ready\n",
     7, 20, "services.web.depends_on.db.condition",
     "expected one of service_started, service_healthy, service_completed_successfully"},
    {"depends_on scalar", "services:\n  web:\n    image: x\n    depends_on: db\n", 4, 17,
     "services.web.depends_on", "expected a list of services or a map"},
    {"cycle",
     "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: "
     "{image: x, depends_on: [a]}\n",
     4, 30, "services.c.depends_on", "dependency cycle: a -> b -> c -> a"},
    {"self cycle", "services:\n  a: {image: x, depends_on: [a]}\n", 2, 30, "services.a.depends_on",
     "dependency cycle: a -> a"},
    {"bad mem_limit", "services:\n  web:\n    image: x\n    mem_limit: lots\n", 4, 16,
     "services.web.mem_limit", "expected a size like 512m"},
    {"negative mem_reservation", "services:\n  web:\n    image: x\n    mem_reservation: -1\n", 4,
     22, "services.web.mem_reservation", "cannot be negative"},
    {"bad deploy memory",
     "services:\n  web:\n    image: x\n    deploy:\n      resources:\n        limits:\n        "
     "  memory: 1zb\n",
     7, 19, "services.web.deploy.resources.limits.memory", "expected a size"},
    {"conflicting limits",
     "services:\n  web:\n    image: x\n    mem_limit: 512m\n    deploy:\n      resources:\n    "
     "    limits:\n          memory: 1g\n",
     8, 19, "services.web.deploy.resources.limits.memory",
     "conflicts with services.web.mem_limit (512 MiB vs 1 GiB)"},
    {"unknown extends", "services:\n  web:\n    extends: {service: bass}\n  base:\n    image: x\n",
     3, 14, "services.web.extends", "unknown service `bass`; did you mean `base`?"},
    {"merge of scalar", "x-a: &a 3\nservices:\n  web:\n    <<: *a\n    image: x\n", 4, 5,
     "services.web", "merge key (<<) takes a map"},
};

TEST(LoadCompose, RejectsEachClassOfBadInput) {
    for (const auto& row : k_bad) {
        SCOPED_TRACE(row.name);
        Diagnostic d = compose_error(row.yaml);
        testing::expect_diagnostic(d, row, "/srv/docker-compose.yml");
    }
}

TEST(LoadCompose, FixtureLoadsInFileOrder) {
    ComposeFile c = runtime::load_compose_file(k_fixtures + "/docker-compose.yml");
    EXPECT_EQ(c.path, k_fixtures + "/docker-compose.yml");
    EXPECT_EQ(c.name, "randhand");
    std::vector<std::string> names;
    for (const auto& s : c.services) {
        names.push_back(s.name);
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"rabbitmq", "config-service", "eureka-server",
                                        "gateway-service", "zookeeper", "kafka", "chat-service",
                                        "gesture-service", "randhand-kafka-consumer"}));

    const ComposeService& rabbitmq = *c.find("rabbitmq");
    EXPECT_EQ(rabbitmq.image, "rabbitmq:3.8-management");
    EXPECT_TRUE(rabbitmq.has_healthcheck);
    EXPECT_EQ(rabbitmq.mem_reservation, 64 * k_mib);
    EXPECT_FALSE(rabbitmq.mem_limit.has_value());
    EXPECT_EQ(rabbitmq.mark.line, 16);

    // Merged from the x-spring anchor.
    const ComposeService& config = *c.find("config-service");
    EXPECT_EQ(config.mem_limit, 512 * k_mib);
    EXPECT_EQ(config.restart, "unless-stopped");
    EXPECT_TRUE(config.has_healthcheck);
    ASSERT_EQ(config.depends_on.size(), 1U);
    EXPECT_EQ(config.depends_on[0].service, "rabbitmq");
    EXPECT_EQ(config.depends_on[0].condition, DependsCondition::service_healthy);
    EXPECT_EQ(config.depends_on[0].mark.line, 25);

    const ComposeService& eureka = *c.find("eureka-server");
    EXPECT_EQ(eureka.mem_limit, 512 * k_mib);
    EXPECT_EQ(eureka.mem_reservation, 200 * k_mib);

    const ComposeService& gateway = *c.find("gateway-service");
    EXPECT_TRUE(gateway.image.empty());
    EXPECT_TRUE(gateway.has_build);

    EXPECT_FALSE(c.find("zookeeper")->has_healthcheck);        // disable: true
    EXPECT_FALSE(c.find("gesture-service")->has_healthcheck);  // test: ["NONE"]
    EXPECT_FALSE(c.find("kafka")->has_healthcheck);            // none at all
    EXPECT_EQ(c.find("kafka")->mem_limit, k_gib);

    const ComposeService& chat = *c.find("chat-service");
    ASSERT_EQ(chat.depends_on.size(), 2U);
    EXPECT_EQ(chat.depends_on[1].service, "kafka");
    EXPECT_EQ(chat.depends_on[1].condition, DependsCondition::service_started);

    const ComposeService& consumer = *c.find("randhand-kafka-consumer");
    EXPECT_EQ(consumer.cgroup_parent, "randhand.slice");
    EXPECT_EQ(consumer.restart, "on-failure");

    auto has_secret = [&](const std::string& v) {
        return std::find(c.secret_values.begin(), c.secret_values.end(), v) !=
               c.secret_values.end();
    };
    EXPECT_TRUE(has_secret("s3cret-value"));
    EXPECT_TRUE(has_secret("zookeeper:2181"));
    EXPECT_FALSE(has_secret("KAFKA_HEAP_OPTS"));
    EXPECT_FALSE(has_secret(""));
}

TEST(LoadCompose, OtherForms) {
    ComposeFile c = load_compose_text(R"(version: "3.8"
x-common: &common
  image: base:1
  mem_limit: 100m
x-more: &more
  image: other:1
  restart: always
services:
  x-not-a-service: {}
  merged:
    <<: [*common, *more]
    mem_limit: 200m
  interpolated:
    image: app:${TAG:-latest}
    mem_limit: ${MEM_LIMIT:-512m}
  child:
    extends: merged
    depends_on: {merged: {condition: service_completed_successfully, required: true}}
  elsewhere:
    extends: {file: common.yml, service: web}
  profiled:
    image: tool:1
    profiles: [debug]
    mem_limit: 0
)",
                                      "compose.yaml");
    ASSERT_EQ(c.services.size(), 5U);
    const ComposeService& merged = *c.find("merged");
    EXPECT_EQ(merged.image, "base:1");  // the first merge source wins
    EXPECT_EQ(merged.restart, "always");
    EXPECT_EQ(merged.mem_limit, 200 * k_mib);  // explicit keys win over merged ones
    const ComposeService& interpolated = *c.find("interpolated");
    EXPECT_EQ(interpolated.image, "app:${TAG:-latest}");
    EXPECT_FALSE(interpolated.mem_limit.has_value());
    const ComposeService& child = *c.find("child");
    EXPECT_EQ(child.image, "base:1");
    EXPECT_EQ(child.mem_limit, 200 * k_mib);
    EXPECT_EQ(child.depends_on[0].condition, DependsCondition::service_completed_successfully);
    EXPECT_TRUE(c.find("elsewhere")->image.empty());  // base in another file: not required
    EXPECT_EQ(c.find("profiled")->profiles, std::vector<std::string>{"debug"});
    EXPECT_FALSE(c.find("profiled")->mem_limit.has_value());  // 0: no limit
}

TEST(LoadCompose, HealthcheckPresence) {
    struct Row {
        const char* healthcheck;
        bool expected;
    };
    const Row rows[] = {
        {"{test: [CMD, curl, -f, http://localhost/]}", true},
        {"{test: curl -f http://localhost/}", true},
        {"{test: [NONE]}", false},
        {"{test: [CMD, \"true\"], disable: true}", false},
        {"{disable: false, test: [CMD-SHELL, \"true\"]}", true},
        {"{interval: 5s}", false},  // the image's HEALTHCHECK, unknown here
        {"", false},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.healthcheck);
        ComposeFile c =
            load_compose_text(std::string("services:\n  web:\n    image: x\n    healthcheck: ") +
                                  row.healthcheck + "\n",
                              "compose.yaml");
        EXPECT_EQ(c.services.at(0).has_healthcheck, row.expected);
    }
}

TEST(LoadCompose, MissingFile) {
    try {
        runtime::load_compose_file("/nonexistent/stagehand-test/docker-compose.yml");
        ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostic().at.file, "/nonexistent/stagehand-test/docker-compose.yml");
        EXPECT_EQ(e.diagnostic().at.line, 0);
        EXPECT_NE(e.diagnostic().message.find("No such file or directory"), std::string::npos);
    }
}

}  // namespace
}  // namespace stagehand::core

namespace stagehand::core {
namespace {

TEST(LoadCompose, ContainerPortsFromExposeAndPorts) {
    ComposeFile c = load_compose_text(R"(
x-base: &base
  image: base:1
services:
  base:
    <<: *base
    expose: ["9000"]
  web:
    extends: base
    expose: [3000, "3001/tcp", "53/udp", "${PORT}"]
    ports:
      - "8080:80"
      - "127.0.0.1:8001:8001"
      - "[::1]:6001:6002"
      - "127.0.0.1::5000"
      - "9090-9091:7070-7071/tcp"
      - "6060:6060/udp"
      - "20000-30000:20000-30000"
      - {target: 443, published: 8443, protocol: tcp}
      - {target: 514, protocol: udp}
  worker:
    image: w:1
)",
                                      "compose.yaml");
    EXPECT_EQ(c.find("web")->ports, (std::vector<std::uint16_t>{80, 443, 3000, 3001, 5000, 6002,
                                                                7070, 7071, 8001, 9000}));
    EXPECT_TRUE(c.find("worker")->ports.empty());
}

TEST(LoadCompose, ParseContainerPortsOfOneEntry) {
    EXPECT_EQ(load::parse_container_ports("3000"), (std::vector<std::uint16_t>{3000}));
    EXPECT_EQ(load::parse_container_ports("8000-8002"),
              (std::vector<std::uint16_t>{8000, 8001, 8002}));
    EXPECT_EQ(load::parse_container_ports("1.2.3.4:80:8080/TCP"),
              (std::vector<std::uint16_t>{8080}));
    EXPECT_TRUE(load::parse_container_ports("0").empty());
    EXPECT_TRUE(load::parse_container_ports("70000").empty());
    EXPECT_TRUE(load::parse_container_ports("9-8").empty());
    EXPECT_TRUE(load::parse_container_ports("80/sctp").empty());
    EXPECT_TRUE(load::parse_container_ports("").empty());
}

}  // namespace
}  // namespace stagehand::core
