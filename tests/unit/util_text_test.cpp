// util::join: the one way stagehand lists names in a message.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/text.hpp"

namespace stagehand::util {
namespace {

TEST(UtilText, JoinPutsTheSeparatorBetweenEachTwo) {
    using V = std::vector<std::string>;
    EXPECT_EQ(join(V{}, ", "), "");
    EXPECT_EQ(join(V{"web"}, ", "), "web");
    EXPECT_EQ(join(V{"web", "db", "kafka"}, ", "), "web, db, kafka");
    EXPECT_EQ(join(V{"docker", "compose", "up"}, " "), "docker compose up");
    EXPECT_EQ(join(V{"a", "", "b"}, ","), "a,,b");  // an empty item keeps its place
}

}  // namespace
}  // namespace stagehand::util
