#include "core/report/svg_text.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "util/utf8.hpp"

namespace stagehand::core {

namespace {

constexpr char32_t k_replacement = util::k_replacement_char;
constexpr double k_em_narrow = 0.6;
constexpr double k_em_wide = 1.0;

bool xml_allowed(char32_t code) {
    if (code < 0x20) {
        return code == 0x09 || code == 0x0A || code == 0x0D;
    }
    return code != 0xFFFE && code != 0xFFFF;
}

double char_em(char32_t code) {
    // East Asian ideographs, Hangul and emoji take about a full em.
    return code >= 0x1100 ? k_em_wide : k_em_narrow;
}

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (std::size_t at = 0; at < text.size();) {
        const util::Utf8Char one = util::decode_utf8(text, at);
        at += one.length;
        switch (one.code) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                util::append_utf8(out, xml_allowed(one.code) ? one.code : k_replacement);
        }
    }
    return out;
}

double text_width(std::string_view text, double font_px) {
    double em = 0;
    for (std::size_t at = 0; at < text.size();) {
        const util::Utf8Char one = util::decode_utf8(text, at);
        at += one.length;
        em += char_em(one.code);
    }
    return em * font_px;
}

std::string fit_text(std::string_view text, double max_px, double font_px) {
    if (text_width(text, font_px) <= max_px) {
        return std::string(text);
    }
    const double budget = max_px - k_em_narrow * font_px;  // room left for the "…"
    double used = 0;
    std::size_t cut = 0;
    while (cut < text.size()) {
        const util::Utf8Char one = util::decode_utf8(text, cut);
        if (used + char_em(one.code) * font_px > budget) {
            break;
        }
        used += char_em(one.code) * font_px;
        cut += one.length;
    }
    return cut == 0 ? std::string() : std::string(text.substr(0, cut)) + "\u2026";
}

std::string fixed(double value, int decimals) {
    if (!std::isfinite(value)) {
        return "0";
    }
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    std::string out = text;
    if (out == "-0" || out.find_first_not_of("-0.") == std::string::npos) {
        return decimals > 0 ? "0." + std::string(static_cast<std::size_t>(decimals), '0') : "0";
    }
    return out;
}

std::string seconds_text(double ms) {
    return fixed(ms / 1000.0, 1) + " s";
}

std::string mib_text(double bytes) {
    return fixed(bytes / (1024.0 * 1024.0), 0) + " MiB";
}

std::vector<double> nice_ticks(double span, int max_ticks) {
    std::vector<double> ticks;
    if (!(span > 0) || !std::isfinite(span) || max_ticks < 1) {
        ticks.push_back(0);
        return ticks;
    }
    const double raw = span / max_ticks;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = power * 10;
    for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
        if (power * factor >= raw) {
            step = power * factor;
            break;
        }
    }
    for (int i = 0; i * step <= span * (1 + 1e-9); ++i) {
        ticks.push_back(i * step);
    }
    return ticks;
}

}  // namespace stagehand::core
