#pragma once
// Parsers for the value formats of stagehand.yml and compose files (SPEC section 3). They
// return util::Result so any caller can use them; the loaders turn an Error into a
// Diagnostic that points at the line. Messages say what was expected and what was found.

#include <string>
#include <string_view>

#include "core/model/types.hpp"
#include "util/result.hpp"

namespace stagehand::core {

// Longest duration accepted anywhere (one year): keeps deadline arithmetic far from overflow.
constexpr Millis k_max_duration{365LL * 24 * 3600 * 1000};

// "500ms", "10s", "5m", "1h", "1m30s", "1.5s"; a bare number ("60", "0.5") means seconds.
// Units go from largest to smallest, each at most once. Rejects negatives, garbage and
// anything longer than k_max_duration. Zero is accepted: the caller decides if it makes sense.
util::Result<Millis> parse_duration(std::string_view text);

// stagehand sizes: "512MiB", "1GiB", "64KiB"; "k", "m", "g", "t" (any case) are binary as in
// Docker; "kB", "MB", "GB", "TB" (any case) are decimal; "b" or a bare integer means bytes.
// A fraction is allowed before a unit ("1.5GiB"); the result is truncated to whole bytes.
util::Result<Bytes> parse_size(std::string_view text);

// Docker / compose sizes (docker/go-units RAMInBytes): "512m", "1g", "1gb", "300M", "1GiB",
// "2048" (bytes). Every unit is binary, as Docker reads it.
util::Result<Bytes> parse_docker_size(std::string_view text);

// A size (parse_size) or a percentage "10%" / "12.5%" between 0 and 100.
util::Result<MemoryAmount> parse_memory_amount(std::string_view text);

// A percentage "10%" / "12.5%" between 0 and 100 (the '%' is required).
util::Result<double> parse_percentage(std::string_view text);

// Permission bits written in octal: "0644", "644", "0o755", "4755"; 0 .. 07777.
util::Result<unsigned> parse_mode(std::string_view text);

// "512 MiB", "1.5 GiB", "100 B": for messages.
std::string format_size(Bytes bytes);

// "1m30s", "500ms", "2h": for messages; parse_duration reads it back.
std::string format_duration(Millis duration);

}  // namespace stagehand::core
