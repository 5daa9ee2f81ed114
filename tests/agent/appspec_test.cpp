// appspec.yml as the agent reads it: what it accepts, what it rejects and with which message.

#include "sim/appspec.hpp"

#include <gtest/gtest.h>

namespace stagehand::agent {
namespace {

const char* const k_valid = R"(version: 0.0
os: linux
files:
  - source: /
    destination: /opt/app/current
file_exists_behavior: OVERWRITE
hooks:
  BeforeInstall:
    - location: hooks/before-install
      timeout: 600
      runas: root
  AfterInstall:
    - location: " hooks/after-install "
    - location: hooks/second
      timeout: 90s
      sudo: true
)";

TEST(AppspecTest, ParsesWhatTheAgentUses) {
    const auto spec = parse_appspec(k_valid);
    ASSERT_TRUE(spec) << spec.error().message;
    ASSERT_EQ(spec->files.size(), 1u);
    EXPECT_EQ(spec->files[0].source, "/");
    EXPECT_EQ(spec->files[0].destination, "/opt/app/current");
    EXPECT_EQ(spec->file_exists_behavior, "OVERWRITE");
    const auto& before = spec->hooks.at("BeforeInstall");
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].location, "hooks/before-install");
    EXPECT_EQ(before[0].timeout_s, 600);
    EXPECT_EQ(before[0].runas, "root");
    EXPECT_FALSE(before[0].sudo);
    const auto& after = spec->hooks.at("AfterInstall");
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].location, "hooks/after-install");  // stripped
    EXPECT_EQ(after[0].timeout_s, 3600);                  // the default
    EXPECT_FALSE(after[0].runas.has_value());
    EXPECT_EQ(after[1].timeout_s, 90);  // Ruby's "90s".to_i
    EXPECT_TRUE(after[1].sudo);
}

struct RejectCase {
    const char* name;
    const char* yaml;
    const char* message_start;
};

class AppspecRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(AppspecRejectTest, RejectsWithTheAgentsMessage) {
    const auto spec = parse_appspec(GetParam().yaml);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().message.rfind(GetParam().message_start, 0), 0u) << spec.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AppspecRejectTest,
    ::testing::Values(
        RejectCase{"quoted_version", "version: \"0.0\"\nos: linux\n",
                   "The deployment failed because an invalid version value (0.0) was entered"},
        RejectCase{"version_one", "version: 1.0\nos: linux\n",
                   "The deployment failed because an invalid version value (1.0)"},
        RejectCase{"no_version", "os: linux\n",
                   "The deployment failed because an invalid version value ()"},
        RejectCase{"os_capitalised", "version: 0.0\nos: Linux\n",
                   "The deployment failed because the application specification file specifies an "
                   "unsupported operating system (Linux)"},
        RejectCase{"timeout_zero",
                   "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: x\n      "
                   "timeout: 0\n",
                   "The deployment failed because an invalid timeout value was provided"},
        RejectCase{"timeout_word",
                   "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: x\n      "
                   "timeout: ten\n",
                   "The deployment failed because an invalid timeout value was provided"},
        RejectCase{"no_location",
                   "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - timeout: 5\n",
                   "The deployment failed because the application specification file specifies a "
                   "script with no location value"},
        RejectCase{"hook_not_list", "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n",
                   "The deployment failed because the hooks section lists no scripts"},
        RejectCase{
            "file_without_destination", "version: 0.0\nos: linux\nfiles:\n  - source: /\n",
            "The deployment failed because the application specification file specifies only "
            "a source file (/)"},
        RejectCase{"bad_yaml", "version: 0.0\nos: [linux\n", "appspec.yml is not valid YAML"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(AppspecTest, UnquotedZeroVersionsAreAccepted) {
    for (const char* version : {"0.0", "0", "0.00", "-0.0"}) {
        EXPECT_TRUE(parse_appspec(std::string("version: ") + version + "\nos: linux\n")) << version;
    }
}

TEST(AppspecTest, RubyToI) {
    EXPECT_EQ(ruby_to_i("600"), 600);
    EXPECT_EQ(ruby_to_i(" 42abc"), 42);
    EXPECT_EQ(ruby_to_i("1_000"), 1000);
    EXPECT_EQ(ruby_to_i("10.9"), 10);
    EXPECT_EQ(ruby_to_i("-5"), -5);
    EXPECT_EQ(ruby_to_i("ten"), 0);
    EXPECT_EQ(ruby_to_i(""), 0);
    EXPECT_EQ(ruby_to_i("99999999999999999999"), 2147483647);
}

}  // namespace
}  // namespace stagehand::agent
