// Option parsing (SPEC section 2): a table of arguments and what they give or refuse.
#include "runtime/cli.hpp"

#include <gtest/gtest.h>

namespace stagehand::runtime {
namespace {

const HookOptions k_after{true, true, true};
const HookOptions k_before{false, false, false};

TEST(Cli, ParsesEveryCommonOption) {
    auto o = parse_options({"--bundle", "/b", "--config=/c.yml", "--dry-run", "--deadline", "1m30s",
                            "--log-format", "json", "-v", "-v"},
                           k_after);
    EXPECT_EQ(o.bundle, "/b");
    EXPECT_EQ(o.config, "/c.yml");
    EXPECT_TRUE(o.dry_run);
    EXPECT_EQ(o.deadline, core::Millis(90'000));
    EXPECT_EQ(o.log_format, LogFormat::json);
    EXPECT_EQ(o.verbosity, 2);
}

TEST(Cli, OnlyTakesACommaList) {
    auto o = parse_options({"--only", "kafka,zookeeper"}, k_after);
    EXPECT_EQ(o.only, (std::vector<std::string>{"kafka", "zookeeper"}));
}

struct BadCase {
    std::vector<std::string> args;
    const HookOptions* accepted;
    std::string message;
};

TEST(Cli, RefusesBadUsage) {
    const std::vector<BadCase> cases = {
        {{"--frobnicate"}, &k_after, "unknown option --frobnicate"},
        {{"stray"}, &k_after, "unexpected argument \"stray\""},
        {{"--bundle"}, &k_after, "--bundle needs a value"},
        {{"--dry-run=yes"}, &k_after, "--dry-run takes no value"},
        {{"--deadline", "soon"}, &k_after, "--deadline"},
        {{"--log-format", "xml"}, &k_after, "expected text or json"},
        {{"--only", "a,,b"}, &k_after, "empty service name"},
        {{"--only", "a"}, &k_before, "unknown option --only"},
        {{"--from", "a", "--only", "b"}, &k_after, "cannot be combined"},
    };
    for (const auto& c : cases) {
        try {
            parse_options(c.args, *c.accepted);
            ADD_FAILURE() << "accepted: " << c.args[0];
        } catch (const UsageError& error) {
            EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
        }
    }
}

TEST(Cli, UsageListsOnlyAcceptedOptions) {
    EXPECT_NE(usage("after-install", k_after).find("--from"), std::string::npos);
    EXPECT_EQ(usage("before-install", k_before).find("--from"), std::string::npos);
    EXPECT_NE(usage("before-install", k_before).find("124 deadline"), std::string::npos);
}

}  // namespace
}  // namespace stagehand::runtime
