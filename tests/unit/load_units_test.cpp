#include "core/load/units.hpp"

#include <gtest/gtest.h>

#include "core/load/suggest.hpp"

namespace stagehand::core {
namespace {

struct Good {
    const char* text;
    long long expected;
};

struct Bad {
    const char* text;
    const char* message_part;
};

TEST(LoadUnits, DurationAccepts) {
    const Good rows[] = {
        {"500ms", 500},  {"10s", 10000},         {"5m", 300000},
        {"1h", 3600000}, {"1m30s", 90000},       {"60", 60000},
        {"0", 0},        {"0.5", 500},           {"1.5s", 1500},
        {"0.1s", 100},   {"1h2m3s4ms", 3723004}, {"8760h", 31536000000},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_duration(row.text);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(parsed->count(), row.expected);
    }
}

TEST(LoadUnits, DurationRejects) {
    const Bad rows[] = {
        {"", "empty"},
        {"-5s", "negative"},
        {"abc", "expected a duration"},
        {"5x", "unknown unit \"x\""},
        {"5 s", "expected a duration"},
        {"30s1m", "largest to smallest"},
        {"1s1s", "largest to smallest"},
        {"1m30", "missing unit"},
        {"8761h", "longer than"},
        {"99999999999999999999s", "expected a duration"},
        {"1.s", "expected a duration"},
        {".5s", "expected a duration"},
        {"1.0000000001s", "expected a duration"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_duration(row.text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
    }
}

TEST(LoadUnits, SizeAccepts) {
    const Good rows[] = {
        {"512MiB", 512 * k_mib},
        {"1GiB", k_gib},
        {"64KiB", 64 * k_kib},
        {"64kib", 64 * k_kib},
        {"300m", 300 * k_mib},
        {"300M", 300 * k_mib},
        {"2g", 2 * k_gib},
        {"8k", 8 * k_kib},
        {"1MB", 1000000},
        {"1gb", 1000000000},
        {"100b", 100},
        {"4096", 4096},
        {"1.5GiB", k_gib * 3 / 2},
        {"512 MiB", 512 * k_mib},
        {"0", 0},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_size(row.text);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(*parsed, row.expected);
    }
}

TEST(LoadUnits, SizeRejects) {
    const Bad rows[] = {
        {"", "expected a size"},
        {"-1MiB", "negative"},
        {"12XB", "unknown unit"},
        {"1.5", "whole number"},
        {"MiB", "expected a size"},
        {"99999999999TiB", "too large"},
        {"99999999999999999999", "expected a size"},
        {"5  MiB", "unknown unit"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_size(row.text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
    }
}

TEST(LoadUnits, DockerSizeIsAlwaysBinary) {
    const Good good[] = {{"512m", 512 * k_mib}, {"1g", k_gib},         {"1gb", k_gib},
                         {"1GB", k_gib},        {"300M", 300 * k_mib}, {"1GiB", k_gib},
                         {"2048", 2048},        {"64k", 64 * k_kib},   {"10b", 10}};
    for (const auto& row : good) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_docker_size(row.text);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(*parsed, row.expected);
    }
    for (const char* bad : {"1x", "-1m", "m", "1gx", "1ib"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse_docker_size(bad).ok());
    }
}

TEST(LoadUnits, MemoryAmount) {
    auto percent = parse_memory_amount("10%");
    ASSERT_TRUE(percent.ok());
    EXPECT_TRUE(percent->is_percent);
    EXPECT_DOUBLE_EQ(percent->percent, 10.0);
    EXPECT_EQ(percent->resolve(1000), 100);
    auto fraction = parse_memory_amount("12.5%");
    ASSERT_TRUE(fraction.ok());
    EXPECT_DOUBLE_EQ(fraction->percent, 12.5);
    auto bytes = parse_memory_amount("128MiB");
    ASSERT_TRUE(bytes.ok());
    EXPECT_FALSE(bytes->is_percent);
    EXPECT_EQ(bytes->bytes, 128 * k_mib);
    const Bad rows[] = {{"101%", "between 0% and 100%"},
                        {"-5%", "negative"},
                        {"%", "percentage like"},
                        {"ten%", "percentage like"},
                        {"lots", "or a percentage"}};
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_memory_amount(row.text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
    }
}

TEST(LoadUnits, Mode) {
    const Good good[] = {{"0644", 0644},  {"644", 0644}, {"0o755", 0755},
                         {"4755", 04755}, {"0", 0},      {"07777", 07777}};
    for (const auto& row : good) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_mode(row.text);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(*parsed, static_cast<unsigned>(row.expected));
    }
    const Bad bad[] = {{"0648", "octal mode"},
                       {"", "octal mode"},
                       {"10000", "between 0000"},
                       {"rw-r--r--", "octal mode"},
                       {"0o", "octal mode"}};
    for (const auto& row : bad) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_mode(row.text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.message_part), std::string::npos)
            << parsed.error().message;
    }
}

TEST(LoadUnits, FormatRoundTrips) {
    EXPECT_EQ(format_size(512 * k_mib), "512 MiB");
    EXPECT_EQ(format_size(k_gib * 3 / 2), "1.5 GiB");
    EXPECT_EQ(format_size(100), "100 B");
    EXPECT_EQ(format_duration(Millis{90000}), "1m30s");
    EXPECT_EQ(format_duration(Millis{500}), "500ms");
    EXPECT_EQ(format_duration(Millis{0}), "0s");
    for (long long ms : {1LL, 999LL, 61001LL, 3723004LL, 31536000000LL}) {
        auto back = parse_duration(format_duration(Millis{ms}));
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(back->count(), ms);
    }
}

TEST(LoadSuggest, EditDistanceAndClosest) {
    EXPECT_EQ(edit_distance("timeout", "timout"), 1U);
    EXPECT_EQ(edit_distance("", "abc"), 3U);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
    EXPECT_EQ(edit_distance("kafak", "kafka"), 1U);  // a swap is one typo
    EXPECT_EQ(edit_distance("ab", "ba"), 1U);
    const std::vector<std::string> keys{"timeout", "interval", "stable", "checks"};
    EXPECT_EQ(closest_match("timout", keys), "timeout");
    EXPECT_EQ(closest_match("Stable", keys), "stable");
    EXPECT_EQ(closest_match("banana", keys), std::nullopt);
    EXPECT_EQ(did_you_mean("intervall", keys), "; did you mean `interval`?");
    EXPECT_EQ(did_you_mean("zzz", keys), "");
}

}  // namespace
}  // namespace stagehand::core
