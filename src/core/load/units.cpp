#include "core/load/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

namespace stagehand::core {
namespace {

// A decimal number as written: whole part and up to k_max_fraction fraction digits, kept as
// integers so "0.1s" is exactly 100 ms (no binary floating point).
struct Decimal {
    std::uint64_t whole = 0;
    std::uint64_t fraction = 0;
    std::uint64_t fraction_scale = 1;  // 10^(fraction digits)
    bool has_fraction = false;
};

constexpr int k_max_fraction = 9;

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Reads a decimal number at the start of `text`; advances `pos`. nullopt when there is no
// digit, the whole part overflows, or the fraction has more than k_max_fraction digits.
std::optional<Decimal> read_decimal(std::string_view text, std::size_t& pos) {
    Decimal d;
    std::size_t start = pos;
    while (pos < text.size() && is_digit(text[pos])) {
        auto digit = static_cast<std::uint64_t>(text[pos] - '0');
        if (__builtin_mul_overflow(d.whole, 10U, &d.whole) ||
            __builtin_add_overflow(d.whole, digit, &d.whole)) {
            return std::nullopt;
        }
        ++pos;
    }
    if (pos == start) {
        return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t frac_start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            if (pos - frac_start >= k_max_fraction) {
                return std::nullopt;
            }
            d.fraction = d.fraction * 10 + static_cast<std::uint64_t>(text[pos] - '0');
            d.fraction_scale *= 10;
            ++pos;
        }
        if (pos == frac_start) {
            return std::nullopt;
        }
        d.has_fraction = true;
    }
    return d;
}

// d * unit, truncated; nullopt on overflow or when the result exceeds `max`.
std::optional<std::uint64_t> scale(const Decimal& d, std::uint64_t unit, std::uint64_t max) {
    std::uint64_t whole = 0;
    if (__builtin_mul_overflow(d.whole, unit, &whole)) {
        return std::nullopt;
    }
    // fraction * unit / scale without overflow: unit = q * scale + r, with fraction and r
    // both below scale <= 1e9, so fraction * r fits in 64 bits.
    std::uint64_t q = unit / d.fraction_scale;
    std::uint64_t r = unit % d.fraction_scale;
    std::uint64_t part = 0;
    if (__builtin_mul_overflow(d.fraction, q, &part)) {
        return std::nullopt;
    }
    part += d.fraction * r / d.fraction_scale;
    std::uint64_t total = 0;
    if (__builtin_add_overflow(whole, part, &total) || total > max) {
        return std::nullopt;
    }
    return total;
}

struct Unit {
    std::string_view name;
    std::uint64_t factor;
};

constexpr std::array<Unit, 4> k_duration_units{
    {{"h", 3600 * 1000}, {"m", 60 * 1000}, {"s", 1000}, {"ms", 1}}};

util::Error duration_error(std::string_view text, const std::string& why) {
    return util::Error{"expected a duration like 500ms, 10s, 5m, 1h or 1m30s, got " + quoted(text) +
                       (why.empty() ? "" : " (" + why + ")")};
}

}  // namespace

namespace {

// The index in k_duration_units of `unit`, which must come after the units already used.
util::Result<std::size_t> duration_unit(std::string_view text, std::string_view unit,
                                        std::size_t next_unit) {
    for (std::size_t i = next_unit; i < k_duration_units.size(); ++i) {
        if (k_duration_units[i].name == unit) {
            return i;
        }
    }
    bool known = std::any_of(k_duration_units.begin(), k_duration_units.end(),
                             [&](const Unit& u) { return u.name == unit; });
    return duration_error(text, known ? "units go from largest to smallest, once each"
                                      : "unknown unit " + quoted(unit) + "; use ms, s, m or h");
}

}  // namespace

util::Result<Millis> parse_duration(std::string_view text) {
    if (text.empty()) {
        return duration_error(text, "empty");
    }
    if (text.front() == '-') {
        return util::Error{"a duration cannot be negative, got " + quoted(text)};
    }
    const auto max = static_cast<std::uint64_t>(k_max_duration.count());
    const std::string too_long = "longer than " + format_duration(k_max_duration);
    std::size_t pos = 0;
    std::uint64_t total = 0;
    std::size_t next_unit = 0;  // index into k_duration_units: units only get smaller
    while (pos < text.size()) {
        auto number = read_decimal(text, pos);
        if (!number) {
            return duration_error(text, "");
        }
        std::size_t unit_start = pos;
        while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) {
            ++pos;
        }
        std::string_view unit = text.substr(unit_start, pos - unit_start);
        if (unit.empty()) {  // a bare number: seconds, and only on its own
            if (pos != text.size() || next_unit != 0) {
                return duration_error(text, pos != text.size() ? "" : "missing unit at the end");
            }
            auto ms = scale(*number, 1000, max);
            return ms ? util::Result<Millis>(Millis{static_cast<std::int64_t>(*ms)})
                      : duration_error(text, too_long);
        }
        auto index = duration_unit(text, unit, next_unit);
        if (!index) {
            return index.error();
        }
        next_unit = *index + 1;
        auto part = scale(*number, k_duration_units[*index].factor, max);
        if (!part || __builtin_add_overflow(total, *part, &total) || total > max) {
            return duration_error(text, too_long);
        }
    }
    return Millis{static_cast<std::int64_t>(total)};
}

namespace {

struct SizeUnit {
    std::string_view name;  // compared case-insensitively
    std::uint64_t factor;
};

constexpr std::uint64_t k_kb = 1000;
constexpr std::array<SizeUnit, 14> k_size_units{{
    {"b", 1},
    {"k", 1ULL << 10},
    {"m", 1ULL << 20},
    {"g", 1ULL << 30},
    {"t", 1ULL << 40},
    {"kib", 1ULL << 10},
    {"mib", 1ULL << 20},
    {"gib", 1ULL << 30},
    {"tib", 1ULL << 40},
    {"kb", k_kb},
    {"mb", k_kb* k_kb},
    {"gb", k_kb* k_kb* k_kb},
    {"tb", k_kb* k_kb* k_kb* k_kb},
    {"", 1},
}};

const std::string k_size_example = "expected a size like 512MiB, 1GiB, 64KiB, 300m or 1000000";

// Splits "1.5 GiB" into the number and the unit (one optional space between them, as Docker
// allows), or returns an Error naming `example`.
util::Result<std::pair<Decimal, std::string_view>> split_size(std::string_view text,
                                                              const std::string& example) {
    if (!text.empty() && text.front() == '-') {
        return util::Error{"a size cannot be negative, got " + quoted(text)};
    }
    std::size_t pos = 0;
    auto number = read_decimal(text, pos);
    if (!number) {
        return util::Error{example + ", got " + quoted(text)};
    }
    if (pos < text.size() && text[pos] == ' ') {
        ++pos;
    }
    return std::pair{*number, text.substr(pos)};
}

util::Result<Bytes> finish_size(std::string_view text, const Decimal& number,
                                std::uint64_t factor) {
    if (factor == 1 && number.has_fraction) {
        return util::Error{"a size in bytes must be a whole number, got " + quoted(text)};
    }
    auto bytes = scale(number, factor, static_cast<std::uint64_t>(INT64_MAX));
    if (!bytes) {
        return util::Error{"size " + quoted(text) + " is too large"};
    }
    return static_cast<Bytes>(*bytes);
}

}  // namespace

util::Result<Bytes> parse_size(std::string_view text) {
    auto split = split_size(text, k_size_example);
    if (!split) {
        return split.error();
    }
    auto [number, unit] = *split;
    for (const auto& u : k_size_units) {
        if (iequals(unit, u.name)) {
            return finish_size(text, number, u.factor);
        }
    }
    return util::Error{k_size_example + ", got " + quoted(text) + " (unknown unit " + quoted(unit) +
                       ")"};
}

util::Result<Bytes> parse_docker_size(std::string_view text) {
    const std::string example = "expected a size like 512m, 1g, 1gb or 1048576 (bytes)";
    auto split = split_size(text, example);
    if (!split) {
        return split.error();
    }
    auto [number, unit] = *split;
    // go-units: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$ with every prefix binary.
    std::size_t i = 0;
    std::uint64_t factor = 1;
    constexpr std::string_view prefixes = "kmgtp";
    if (i < unit.size() && prefixes.find(lower(unit[i])) != std::string_view::npos) {
        factor = 1ULL << (10 * (prefixes.find(lower(unit[i])) + 1));
        ++i;
    }
    if (i < unit.size() && lower(unit[i]) == 'i' && factor != 1) {
        ++i;
    }
    if (i < unit.size() && lower(unit[i]) == 'b') {
        ++i;
    }
    if (i != unit.size()) {
        return util::Error{example + ", got " + quoted(text)};
    }
    return finish_size(text, number, factor);
}

util::Result<double> parse_percentage(std::string_view text) {
    if (text.empty() || text.back() != '%') {
        return util::Error{"expected a percentage like 10% or 12.5%, got " + quoted(text)};
    }
    auto amount = parse_memory_amount(text);
    if (!amount) {
        return amount.error();
    }
    return amount->percent;
}

util::Result<MemoryAmount> parse_memory_amount(std::string_view text) {
    if (!text.empty() && text.back() == '%') {
        std::string_view digits = text.substr(0, text.size() - 1);
        std::size_t pos = 0;
        auto number = read_decimal(digits, pos);
        if (!text.empty() && text.front() == '-') {
            return util::Error{"a percentage cannot be negative, got " + quoted(text)};
        }
        if (!number || pos != digits.size()) {
            return util::Error{"expected a percentage like 10% or 12.5%, got " + quoted(text)};
        }
        double percent =
            static_cast<double>(number->whole) +
            static_cast<double>(number->fraction) / static_cast<double>(number->fraction_scale);
        if (percent > 100.0) {
            return util::Error{"a percentage must be between 0% and 100%, got " + quoted(text)};
        }
        return MemoryAmount{0, percent, true};
    }
    auto bytes = parse_size(text);
    if (!bytes) {
        return util::Error{bytes.error().message + " or a percentage like 10%"};
    }
    return MemoryAmount{*bytes, 0.0, false};
}

util::Result<unsigned> parse_mode(std::string_view text) {
    std::string_view digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
        digits.remove_prefix(2);
    }
    unsigned mode = 0;
    for (char c : digits) {
        if (c < '0' || c > '7') {
            return util::Error{"expected an octal mode like \"0644\" or \"0755\", got " +
                               quoted(text)};
        }
        mode = mode * 8 + static_cast<unsigned>(c - '0');
        if (mode > 07777) {
            return util::Error{"a mode must be between 0000 and 7777 (octal), got " + quoted(text)};
        }
    }
    if (digits.empty()) {
        return util::Error{"expected an octal mode like \"0644\" or \"0755\", got " + quoted(text)};
    }
    return mode;
}

std::string format_size(Bytes bytes) {
    constexpr std::array<const char*, 5> names{"B", "KiB", "MiB", "GiB", "TiB"};
    if (bytes < 0) {
        return "-" + format_size(bytes == INT64_MIN ? INT64_MAX : -bytes);
    }
    std::size_t unit = 0;
    auto value = static_cast<double>(bytes);
    while (unit + 1 < names.size() && value >= 1024.0) {
        value /= 1024.0;
        ++unit;
    }
    // One decimal, dropped when it is zero: "512 MiB", "1.5 GiB".
    auto tenths = static_cast<long long>(value * 10.0 + 0.5);
    std::string out = std::to_string(tenths / 10);
    if (tenths % 10 != 0) {
        out += "." + std::to_string(tenths % 10);
    }
    return out + " " + names[unit];
}

std::string format_duration(Millis duration) {
    long long ms = duration.count();
    if (ms == 0) {
        return "0s";
    }
    std::string out = ms < 0 ? "-" : "";
    ms = ms < 0 ? -ms : ms;
    for (const auto& u : k_duration_units) {
        auto factor = static_cast<long long>(u.factor);
        if (ms >= factor) {
            out += std::to_string(ms / factor) + std::string(u.name);
            ms %= factor;
        }
    }
    return out;
}

}  // namespace stagehand::core
