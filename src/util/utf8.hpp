#pragma once
// The one UTF-8 decoder (and encoder) of stagehand, shared by the output sanitiser
// (util/sanitize) and the SVG report's escaping and width estimates (core/report/svg_text).

#include <cstddef>
#include <string>
#include <string_view>

namespace stagehand::util {

constexpr char32_t k_replacement_char = 0xFFFD;

// One decoded character: its code point and how many bytes it took. Invalid bytes (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate, past U+10FFFF)
// decode as {U+FFFD, 1, false}, so the caller replaces one byte and carries on.
struct Utf8Char {
    char32_t code = k_replacement_char;
    std::size_t length = 1;
    bool valid = false;
};

// Decodes the character starting at text[at]; `at` < text.size().
Utf8Char decode_utf8(std::string_view text, std::size_t at);

// Appends `code` (a Unicode scalar value) encoded as UTF-8.
void append_utf8(std::string& out, char32_t code);

}  // namespace stagehand::util
