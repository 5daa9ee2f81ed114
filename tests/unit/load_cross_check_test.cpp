#include "core/load/cross_check.hpp"

#include <gtest/gtest.h>

#include "core/load/compose_loader.hpp"
#include "core/load/config_loader.hpp"
#include "support/bad_input.hpp"

namespace stagehand::core {
namespace {

const char* const k_compose = R"(services:
  zookeeper: {image: zk}
  kafka: {image: kafka, depends_on: [zookeeper]}
  consumer: {image: c, depends_on: {kafka: {condition: service_started}}}
  web: {image: w}
)";

Diagnostic cross_error(const std::string& config_text) {
    Config config = load_config_text(config_text, "stagehand.yml");
    ComposeFile compose = load_compose_text(k_compose, "/srv/docker-compose.yml");
    return testing::diagnostic_of([&] { check_config_against_compose(config, compose); },
                                  config_text);
}

using BadRow = testing::BadInputRow;

const BadRow k_bad[] = {
    {"unknown in services", "version: 1\nstartup:\n  services: [zookeeper, kafak]\n", 3, 25,
     "startup.services[1]", "unknown service `kafak`"},
    {"suggestion in services", "version: 1\nstartup:\n  services: [zookeeper, kafak]\n", 3, 25,
     "startup.services[1]", "did you mean `kafka`?"},
    {"duplicate in services",
     "version: 1\nstartup:\n  services:\n    - zookeeper\n    - kafka\n    - zookeeper\n", 6, 7,
     "startup.services[2]", "listed twice (first at line 4)"},
    {"order before dependency", "version: 1\nstartup:\n  services: [kafka, zookeeper]\n", 3, 14,
     "startup.services[0]", "`kafka` depends_on `zookeeper`, which is listed after it"},
    {"dependency not listed", "version: 1\nstartup:\n  services: [kafka, consumer]\n", 3, 14,
     "startup.services[0]", "`kafka` depends_on `zookeeper`, which is not in the list"},
    {"unknown per_service",
     "version: 1\nstartup:\n  per_service:\n    kafak:\n      need: 400MiB\n", 4, 5,
     "startup.per_service.kafak",
     "unknown service `kafak` (not in /srv/docker-compose.yml); "
     "did you mean `kafka`?"},
    {"unknown check service",
     "version: 1\nvalidate:\n  checks:\n    - service: wbe\n      tcp: web:80\n", 4, 16,
     "validate.checks[0].service", "did you mean `web`?"},
};

TEST(LoadCrossCheck, RejectsEachClassOfBadInput) {
    for (const auto& row : k_bad) {
        SCOPED_TRACE(row.name);
        Diagnostic d = cross_error(row.yaml);
        testing::expect_diagnostic(d, row, "stagehand.yml");
        EXPECT_FALSE(d.source_line.empty());
    }
}

TEST(LoadCrossCheck, AcceptsValidReferences) {
    Config config = load_config_text(R"(version: 1
startup:
  services: [zookeeper, kafka, web, consumer]
  per_service:
    kafka: {need: 400MiB}
validate:
  checks:
    - service: web
)",
                                     "stagehand.yml");
    ComposeFile compose = load_compose_text(k_compose, "/srv/docker-compose.yml");
    EXPECT_NO_THROW(check_config_against_compose(config, compose));
    // No explicit list: every service, in dependency order, decided by the planner.
    Config defaults = load_config_text("version: 1\n", "stagehand.yml");
    EXPECT_NO_THROW(check_config_against_compose(defaults, compose));
}

TEST(LoadCrossCheck, DiagnosticShowsTheConfigLine) {
    Diagnostic d = cross_error("version: 1\nstartup:\n  services: [kafka, zookeeper]\n");
    EXPECT_EQ(d.source_line, "  services: [kafka, zookeeper]");
    EXPECT_NE(d.format().find("\n                 ^"), std::string::npos) << d.format();
}

}  // namespace
}  // namespace stagehand::core
