#pragma once
// Text helpers for the SVG report: XML escaping that survives any input bytes, width estimates
// for a sans-serif font (no font metrics in a pure function), and locale-free numbers.

#include <string>
#include <string_view>
#include <vector>

namespace stagehand::core {

// `text` as XML character data or attribute value: & < > " ' escaped; invalid UTF-8, code
// points XML 1.0 forbids (C0 controls but tab/newline/CR, U+FFFE/U+FFFF, surrogates) become
// U+FFFD. Never throws.
std::string xml_escape(std::string_view text);

// Estimated width in pixels of `text` set at `font_px` in a sans-serif font (DejaVu Sans /
// Arial average: 0.6 em per character, wide characters 1 em).
double text_width(std::string_view text, double font_px);

// `text` cut on a character boundary, with "…" appended, so that it fits `max_px`; "" when not
// even one character and the ellipsis fit. Not escaped.
std::string fit_text(std::string_view text, double max_px, double font_px);

// `value` with `decimals` digits after the point, '.' whatever the locale; "0" for NaN/inf.
std::string fixed(double value, int decimals);

// The report's units, one decimal for seconds and none for MiB: "12.3 s", "512 MiB".
// Not util::format_seconds / format_mib: the report draws doubles read back from its JSON
// (NaN and -0 guarded by fixed()) and sets a space before the unit, as a figure label.
std::string seconds_text(double ms);
std::string mib_text(double bytes);

// Round tick positions (in the axis' unit) covering [0, span], at most about `max_ticks`
// of them, spaced 1, 2 or 5 × 10^n apart.
std::vector<double> nice_ticks(double span, int max_ticks);

}  // namespace stagehand::core
