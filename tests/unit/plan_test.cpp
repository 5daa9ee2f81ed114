// The plan: start order, need priority, readiness signal, selections (SPEC sections 3 and 5).
#include "core/plan/plan.hpp"

#include <gtest/gtest.h>

#include "core/load/compose_loader.hpp"
#include "core/load/config_loader.hpp"
#include "core/model/diagnostic.hpp"
#include "core/plan/deadline.hpp"

namespace stagehand::core {
namespace {

const char* k_compose = R"(
services:
  gateway:
    image: gw
    depends_on: [config]
  rabbitmq:
    image: rmq
    mem_reservation: 100m
  config:
    image: cfg
    depends_on:
      rabbitmq: {condition: service_healthy}
    healthcheck: {test: ["CMD", "true"]}
  zookeeper:
    image: zk
  migrate:
    image: mig
  kafka:
    image: kf
    depends_on:
      zookeeper: {condition: service_started}
      migrate: {condition: service_completed_successfully}
)";

std::vector<std::string> names(const StartPlan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.services) {
        out.push_back(s.name);
    }
    return out;
}

TEST(Plan, TopologicalOrderKeepsFileOrderForTies) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text("version: 1\n", "stagehand.yml");
    EXPECT_EQ(start_order(compose, config.startup),
              (std::vector<std::string>{"rabbitmq", "config", "gateway", "zookeeper", "migrate",
                                        "kafka"}));
}

TEST(Plan, NeedComesFromDeclaredThenLearnedThenReservationThenDefault) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text(
        "version: 1\nstartup:\n  per_service:\n    kafka:\n      need: 400MiB\n", "s.yml");
    Profiles profiles{{"zookeeper", {70 * k_mib, Millis(800)}}, {"rabbitmq", {90 * k_mib, {}}}};
    auto plan = plan_start(config, compose, profiles, {});
    auto find = [&](const std::string& n) {
        for (const auto& s : plan.services) {
            if (s.name == n) {
                return s;
            }
        }
        throw std::runtime_error(n);
    };
    EXPECT_EQ(find("kafka").need, 400 * k_mib);
    EXPECT_EQ(find("kafka").need_source, NeedSource::declared);
    EXPECT_EQ(find("zookeeper").need_source, NeedSource::learned);
    EXPECT_EQ(find("rabbitmq").need_source, NeedSource::learned);  // learned beats reservation
    EXPECT_EQ(find("gateway").need, 256 * k_mib);
    EXPECT_EQ(find("gateway").need_source, NeedSource::default_guess);
    EXPECT_EQ(find("config").ready_by, ReadySignal::healthcheck);
    EXPECT_EQ(find("gateway").ready_by, ReadySignal::inferred);
    // A learned need is the peak plus learn_margin (10% by default).
    EXPECT_EQ(find("zookeeper").need, 77 * k_mib);
    EXPECT_TRUE(find("migrate").one_shot);
    EXPECT_FALSE(find("kafka").one_shot);
}

TEST(Plan, LearnMarginAndCriticalPathsFromProfiles) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text("version: 1\nstartup:\n  learn_margin: 25%\n", "s.yml");
    Profiles profiles{{"zookeeper", {100 * k_mib, Millis(800)}},
                      {"kafka", {200 * k_mib, Millis(3000)}},
                      {"rabbitmq", {50 * k_mib, Millis(1000)}}};
    auto plan = plan_start(config, compose, profiles, {});
    std::map<std::string, const ServicePlan*> by_name;
    for (const auto& s : plan.services) {
        by_name[s.name] = &s;
    }
    EXPECT_EQ(by_name["zookeeper"]->need, 125 * k_mib);
    EXPECT_EQ(by_name["zookeeper"]->critical_path, Millis(3800));  // zookeeper + kafka
    EXPECT_EQ(by_name["migrate"]->critical_path, Millis(3000));    // nothing learned + kafka
    EXPECT_EQ(by_name["rabbitmq"]->critical_path, Millis(1000));
    EXPECT_EQ(learned_need(1000, 0.0), 1000);
}

TEST(Plan, AnExplicitServicesListIsThePriorityOrder) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text(
        "version: 1\nstartup:\n  services: [zookeeper, migrate, kafka]\n", "s.yml");
    Profiles profiles{{"kafka", {200 * k_mib, Millis(3000)}}};
    auto plan = plan_start(config, compose, profiles, {});
    for (const auto& s : plan.services) {
        EXPECT_EQ(s.critical_path, Millis(0)) << s.name;
    }
}

TEST(Plan, ReservationUsedWithoutProfile) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text("version: 1\n", "s.yml");
    auto plan = plan_start(config, compose, {}, {});
    EXPECT_EQ(plan.services[0].name, "rabbitmq");
    EXPECT_EQ(plan.services[0].need, 100 * k_mib);
    EXPECT_EQ(plan.services[0].need_source, NeedSource::compose_reservation);
}

TEST(Plan, OnlyAndFromSelectAndNameExternalDependencies) {
    auto compose = load_compose_text(k_compose, "/b/docker-compose.yml");
    auto config = load_config_text("version: 1\n", "s.yml");
    auto only = plan_start(config, compose, {}, Selection{{"kafka", "gateway"}, std::nullopt});
    EXPECT_EQ(names(only), (std::vector<std::string>{"gateway", "kafka"}));
    EXPECT_EQ(only.external_dependencies,
              (std::vector<std::string>{"config", "migrate", "zookeeper"}));
    auto from = plan_start(config, compose, {}, Selection{{}, std::string("zookeeper")});
    EXPECT_EQ(names(from), (std::vector<std::string>{"zookeeper", "migrate", "kafka"}));
    EXPECT_THROW(plan_start(config, compose, {}, Selection{{"nope"}, std::nullopt}), InputError);
}

TEST(Deadline, ComesFromOverrideAppspecOrDefault) {
    Appspec appspec;
    appspec.hooks["AfterInstall"].push_back({"hooks/after-install", 1800, std::nullopt, {}});
    EXPECT_EQ(choose_deadline(Millis(5000), &appspec, "AfterInstall", "hooks/after-install").budget,
              Millis(5000));
    EXPECT_EQ(choose_deadline({}, &appspec, "AfterInstall", "hooks/after-install").budget,
              Millis(1'770'000));
    EXPECT_EQ(choose_deadline({}, &appspec, "AfterInstall", "/hooks/after-install").budget,
              Millis(1'770'000));
    EXPECT_EQ(choose_deadline({}, &appspec, "BeforeInstall", "hooks/before-install").budget,
              Millis(3'570'000));
    EXPECT_EQ(choose_deadline({}, &appspec, "", "hooks/after-install").budget,
              Millis(30 * 60 * 1000));
}

// Issue 13.1: the agent joins `location` as written, so these all run hooks/after-install;
// a string compare lost the appspec timeout and fell back to 59m30s.
TEST(Deadline, FindsTheEntryWhateverShapeTheLocationHas) {
    for (const char* location : {"./hooks/after-install", "hooks//after-install",
                                 "/hooks/after-install", "hooks/./after-install"}) {
        Appspec appspec;
        appspec.hooks["AfterInstall"].push_back({location, 600, std::nullopt, {}});
        const auto choice = choose_deadline({}, &appspec, "AfterInstall", "hooks/after-install");
        EXPECT_EQ(choice.budget, Millis(570'000)) << location;
        EXPECT_TRUE(choice.warning.empty()) << location << ": " << choice.warning;
    }
}

TEST(Deadline, WarnsNamingTheEntriesSeenWhenNoneMatches) {
    Appspec appspec;
    appspec.hooks["AfterInstall"].push_back({"hooks/other", 600, std::nullopt, {}});
    appspec.hooks["AfterInstall"].push_back({"scripts/after-install", 600, std::nullopt, {}});
    const auto choice = choose_deadline({}, &appspec, "AfterInstall", "hooks/after-install");
    EXPECT_EQ(choice.budget, Millis(3'570'000));
    EXPECT_NE(choice.warning.find("hooks/after-install"), std::string::npos) << choice.warning;
    EXPECT_NE(choice.warning.find("hooks/other, scripts/after-install"), std::string::npos)
        << choice.warning;
    const auto none = choose_deadline({}, &appspec, "BeforeInstall", "hooks/before-install");
    EXPECT_NE(none.warning.find("no BeforeInstall entry"), std::string::npos) << none.warning;
    // Outside CodeDeploy, or with --deadline, the appspec is not consulted: nothing to say.
    EXPECT_TRUE(choose_deadline({}, &appspec, "", "hooks/x").warning.empty());
    EXPECT_TRUE(choose_deadline(Millis(5000), &appspec, "AfterInstall", "hooks/x").warning.empty());
}

// Issue 13.2: with a short timeout half of it is kept, and the text must say so (it printed
// "timeout 40s - 30s" for a 20 s deadline).
TEST(Deadline, SourceSaysWhichRuleGaveTheBudget) {
    Appspec appspec;
    appspec.hooks["AfterInstall"].push_back({"hooks/after-install", 40, std::nullopt, {}});
    appspec.hooks["ValidateService"].push_back({"hooks/validate-service", 300, std::nullopt, {}});
    const auto half = choose_deadline({}, &appspec, "AfterInstall", "hooks/after-install");
    EXPECT_EQ(half.budget, Millis(20'000));
    EXPECT_EQ(half.source, "appspec.yml AfterInstall timeout 40s / 2: under 60s half is kept back");
    const auto margin = choose_deadline({}, &appspec, "ValidateService", "hooks/validate-service");
    EXPECT_EQ(margin.budget, Millis(270'000));
    EXPECT_EQ(margin.source, "appspec.yml ValidateService timeout 300s - 30s");
}

}  // namespace
}  // namespace stagehand::core
