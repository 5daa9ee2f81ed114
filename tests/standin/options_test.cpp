// Flag parsing of the stand-in: accepted forms, defaults, and rejected input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "standin.hpp"

namespace stagehand::standin {
namespace {

TEST(StandinOptions, ParsesBothFlagForms) {
    std::string error;
    auto o = parse_options({"--name", "kafka", "--peak-mib=245", "--steady-mib", "175", "--ramp-s",
                            "1.5", "--cpu-s=1.35", "--port", "9092", "--mode", "flap"},
                           error);
    ASSERT_TRUE(o.has_value()) << error;
    EXPECT_EQ(o->name, "kafka");
    EXPECT_EQ(o->peak_mib, 245);
    EXPECT_EQ(*o->steady_mib, 175);
    EXPECT_DOUBLE_EQ(o->ramp_s, 1.5);
    EXPECT_DOUBLE_EQ(o->cpu_s, 1.35);
    EXPECT_EQ(o->port, 9092);
    EXPECT_EQ(o->mode, Mode::flap);
    EXPECT_EQ(o->flap_marker, "/tmp/standin-kafka.flapped");
}

TEST(StandinOptions, SteadyDefaultsToPeak) {
    std::string error;
    auto o = parse_options({"--peak-mib", "60"}, error);
    ASSERT_TRUE(o.has_value()) << error;
    EXPECT_EQ(*o->steady_mib, 60);
}

TEST(StandinOptions, ListenAndPeakFile) {
    std::string error;
    auto late = parse_options({"--port", "8080"}, error);
    ASSERT_TRUE(late.has_value()) << error;
    EXPECT_EQ(late->listen, Listen::late);  // what the images did before the flag existed
    EXPECT_TRUE(late->peak_file.empty());
    auto early =
        parse_options({"--port", "8080", "--listen", "early", "--peak-file=/tmp/p"}, error);
    ASSERT_TRUE(early.has_value()) << error;
    EXPECT_EQ(early->listen, Listen::early);
    EXPECT_EQ(early->peak_file, "/tmp/p");
    auto never = parse_options({"--listen=never", "--port", "8080"}, error);
    ASSERT_TRUE(never.has_value()) << error;
    EXPECT_EQ(never->listen, Listen::never);
    auto worker = parse_options({"--listen", "never"}, error);  // no port at all: fine too
    ASSERT_TRUE(worker.has_value()) << error;

    EXPECT_FALSE(parse_options({"--listen", "early"}, error).has_value());
    EXPECT_EQ(error, "--listen early needs --port");
    EXPECT_FALSE(parse_options({"--listen", "soon", "--port", "1"}, error).has_value());
    EXPECT_EQ(error, "--listen: invalid value 'soon'");
    EXPECT_FALSE(parse_options({"--peak-file="}, error).has_value());
}

TEST(StandinOptions, RejectsBadInput) {
    const std::vector<std::vector<std::string>> cases = {
        {"--bogus", "1"},
        {"--port", "70000"},
        {"--peak-mib", "-1"},
        {"--cpu-s", "abc"},
        {"--mode", "sideways"},
        {"--ramp-s"},
        {"--peak-mib", "10", "--steady-mib", "20"},
        {"--name="},
    };
    for (const auto& args : cases) {
        std::string error;
        EXPECT_FALSE(parse_options(args, error).has_value()) << args.front();
        EXPECT_FALSE(error.empty()) << args.front();
    }
}

}  // namespace
}  // namespace stagehand::standin
