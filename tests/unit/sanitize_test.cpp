#include "util/sanitize.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace stagehand::util {
namespace {

struct Case {
    const char* name;
    std::string in;
    std::size_t max;
    std::string want;
};

class SanitizeTable : public ::testing::TestWithParam<Case> {};

TEST_P(SanitizeTable, Sanitizes) {
    const Case& c = GetParam();
    EXPECT_EQ(sanitize_line(c.in, c.max), c.want) << c.name;
}

const std::string k_fffd = "\xEF\xBF\xBD";
const std::string k_dots = "\xE2\x80\xA6";

INSTANTIATE_TEST_SUITE_P(
    Sanitize, SanitizeTable,
    ::testing::Values(
        Case{"plain", "hello world", 200, "hello world"}, Case{"empty", "", 200, ""},
        Case{"valid multibyte kept", "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80", 200,
             "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"},
        Case{"stray continuation", "a\x80z", 200, "a" + k_fffd + "z"},
        Case{"truncated sequence at end", "ab\xE2\x9C", 200, "ab" + k_fffd + k_fffd},
        Case{"overlong slash", "x\xC0\xAFy", 200, "x" + k_fffd + k_fffd + "y"},
        Case{"surrogate", "\xED\xA0\x80", 200, k_fffd + k_fffd + k_fffd},
        Case{"beyond U+10FFFF", "\xF4\x90\x80\x80", 200, k_fffd + k_fffd + k_fffd + k_fffd},
        Case{"ansi colour", "\x1b[31;1mERROR\x1b[0m boom", 200, "ERROR boom"},
        Case{"osc title with BEL", "\x1b]0;title\x07text", 200, "text"},
        Case{"osc with ST", "\x1b]8;;http://x\x1b\\link", 200, "link"},
        Case{"two-byte escape",
             "\x1b"
             "7saved",
             200, "saved"},
        Case{"lone escape at end", "abc\x1b", 200, "abc"},
        Case{"unterminated csi", "abc\x1b[12", 200, "abc"},
        Case{"controls",
             std::string("a\rb\0c\x7f"
                         "d\x01",
                         9),
             200, "abcd"},
        Case{"tab and newline become space", "a\tb\nc", 200, "a b c"},
        Case{"c1 control removed",
             "a\xC2\x85"
             "b\xC2\x9B"
             "c",
             200, "abc"},
        Case{"nbsp kept",
             "a\xC2\xA0"
             "b",
             200,
             "a\xC2\xA0"
             "b"},
        Case{"cut with marker", "abcdefghij", 8, "abcde" + k_dots},
        Case{"exact fit no marker", "abcdefgh", 8, "abcdefgh"},
        Case{"cut on code point boundary", "ab\xE2\x9C\x93\xE2\x9C\x93", 7, "ab" + k_dots},
        Case{"tiny limit", "abcdef", 2, "ab"},
        Case{"tiny limit multibyte", "\xC3\xA9\xC3\xA9", 1, ""}, Case{"zero limit", "abc", 0, ""}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
        std::string name;
        for (const char ch : std::string(param_info.param.name)) {
            name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
        }
        return name;
    });

// Every output of hostile bytes is valid UTF-8 without controls and within the limit.
TEST(Sanitize, HostileBytesStayWithinLimitAndValid) {
    std::string all;
    for (int round = 0; round < 4; ++round) {
        for (int b = 0; b < 256; ++b) {
            all += static_cast<char>(b);
        }
    }
    for (std::size_t limit : {0u, 1u, 3u, 50u, 200u, 5000u}) {
        const std::string out = sanitize_line(all, limit);
        EXPECT_LE(out.size(), limit);
        // Re-sanitising valid output changes nothing (no controls, valid UTF-8).
        EXPECT_EQ(sanitize_line(out, limit), out) << limit;
        for (const char ch : out) {
            const auto byte = static_cast<unsigned char>(ch);
            EXPECT_FALSE(byte < 0x20 || byte == 0x7F) << limit;
        }
    }
}

TEST(Sanitize, HugeLineIsCutQuickly) {
    const std::string huge(10 << 20, 'x');
    const std::string out = sanitize_line(huge, 200);
    EXPECT_EQ(out.size(), 200u);
    EXPECT_EQ(out.substr(197), k_dots);
}

}  // namespace
}  // namespace stagehand::util
