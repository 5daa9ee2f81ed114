#include "util/sanitize.hpp"

#include <cstdint>

#include "util/utf8.hpp"

namespace stagehand::util {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view k_ellipsis = "\xE2\x80\xA6";     // U+2026 "…"

// Length of the escape sequence starting at text[i] == ESC (at least 1).
// CSI: ESC [ params... final(0x40-0x7E). OSC: ESC ] ... BEL or ESC \.
// DCS/SOS/PM/APC: ESC P|X|^|_ ... ESC \. Others: ESC + one byte.
std::size_t escape_length(std::string_view text, std::size_t i) {
    const std::size_t n = text.size();
    if (i + 1 >= n) {
        return 1;
    }
    const char kind = text[i + 1];
    if (kind == '[') {
        std::size_t j = i + 2;
        while (j < n && !(text[j] >= 0x40 && text[j] <= 0x7E)) {
            ++j;
        }
        return (j < n ? j + 1 : n) - i;
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        std::size_t j = i + 2;
        while (j < n) {
            if (text[j] == '\a') {
                return j + 1 - i;
            }
            if (text[j] == '\x1b' && j + 1 < n && text[j + 1] == '\\') {
                return j + 2 - i;
            }
            ++j;
        }
        return n - i;
    }
    const auto byte = static_cast<unsigned char>(kind);
    return (byte >= 0x20 && byte <= 0x7E) ? 2 : 1;
}

// Cuts valid UTF-8 `out` to at most `limit` bytes on a code-point boundary.
void cut_at_boundary(std::string& out, std::size_t limit) {
    if (out.size() <= limit) {
        return;
    }
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    out.resize(cut);
}

}  // namespace

std::string sanitize_line(std::string_view text, std::size_t max_bytes) {
    std::string out;
    out.reserve(text.size() < max_bytes ? text.size() : max_bytes + 4);
    std::size_t i = 0;
    // Stop once we know the line is too long: the rest cannot change the result.
    while (i < text.size() && out.size() <= max_bytes) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == 0x1B) {
            i += escape_length(text, i);
        } else if (byte == '\t' || byte == '\n') {
            out += ' ';
            ++i;
        } else if (byte < 0x20 || byte == 0x7F) {
            ++i;
        } else if (byte < 0x80) {
            out += static_cast<char>(byte);
            ++i;
        } else {
            const Utf8Char one = decode_utf8(text, i);
            if (!one.valid) {
                out += k_replacement;
            } else if (one.code >= 0xA0) {  // U+0080..U+009F are the C1 controls
                out.append(text.substr(i, one.length));
            }
            i += one.length;
        }
    }
    if (out.size() <= max_bytes) {
        return out;
    }
    if (max_bytes < k_ellipsis.size()) {
        cut_at_boundary(out, max_bytes);
        return out;
    }
    cut_at_boundary(out, max_bytes - k_ellipsis.size());
    out += k_ellipsis;
    return out;
}

}  // namespace stagehand::util
