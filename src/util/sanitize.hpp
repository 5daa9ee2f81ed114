#pragma once
// Text from containers (log lines, HTTP bodies, command output) is echoed into our own output,
// which must stay valid UTF-8, one event per line, and short (SPEC section 2, Output).

#include <cstddef>
#include <string>
#include <string_view>

namespace stagehand::util {

// Returns `text` as one printable line of at most `max_bytes` bytes:
// - invalid UTF-8 (stray continuation bytes, overlong forms, surrogates, > U+10FFFF,
//   truncated sequences) becomes U+FFFD;
// - ANSI/VT escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-byte ESC x) are removed;
// - tab and newline become a space, every other C0/C1 control and DEL is removed;
// - when longer than `max_bytes`, it is cut on a code-point boundary and ends with "…" (the
//   marker counts towards `max_bytes`; below 3 bytes there is no room for it and none is added).
std::string sanitize_line(std::string_view text, std::size_t max_bytes);

}  // namespace stagehand::util
