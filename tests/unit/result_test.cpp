#include "util/result.hpp"

#include <gtest/gtest.h>

namespace stagehand::util {
namespace {

TEST(Result, HoldsValueOrError) {
    Result<int> good = 3;
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 3);
    Result<int> bad = errno_error("failed to open /x", 2);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "failed to open /x: No such file or directory");
    EXPECT_EQ(bad.error().code, 2);
}

}  // namespace
}  // namespace stagehand::util
