// util::format_mib / format_seconds: the one byte and duration text of messages and tables.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "util/units_text.hpp"

namespace stagehand::util {
namespace {

constexpr std::int64_t k_mib = 1024 * 1024;

TEST(UnitsText, MibRoundsToTheNearestWholeMib) {
    const struct {
        std::int64_t bytes;
        const char* text;
    } rows[] = {
        {0, "0 MiB"},
        {k_mib / 2 - 1, "0 MiB"},
        {k_mib / 2, "1 MiB"},  // half rounds up
        {512 * k_mib, "512 MiB"},
        {512 * k_mib + k_mib / 2 - 1, "512 MiB"},
        {431'000'000, "411 MiB"},
        {24105 * k_mib + 700 * 1024, "24106 MiB"},  // a MemTotal that is not whole MiB
        {std::int64_t{8} << 40, "8388608 MiB"},
    };
    for (const auto& row : rows) {
        EXPECT_EQ(format_mib(row.bytes), row.text) << row.bytes;
    }
}

TEST(UnitsText, SecondsHaveOneDecimalRounded) {
    using std::chrono::milliseconds;
    EXPECT_EQ(format_seconds(milliseconds(0)), "0.0s");
    EXPECT_EQ(format_seconds(milliseconds(1234)), "1.2s");
    EXPECT_EQ(format_seconds(milliseconds(1250)), "1.2s");  // printf: the double 1.25 to even
    EXPECT_EQ(format_seconds(milliseconds(1260)), "1.3s");
    EXPECT_EQ(format_seconds(milliseconds(59'950)), "60.0s");
    EXPECT_EQ(format_seconds(milliseconds(600'000)), "600.0s");
    EXPECT_EQ(format_seconds(std::chrono::duration<double>(2.04)), "2.0s");  // a pull's seconds
}

}  // namespace
}  // namespace stagehand::util
