#pragma once
// The one byte and duration text of stagehand's messages, the log, --dry-run and the summary
// tables: "412 MiB", "12.3s". (Config values are written back in their own syntax by
// core::format_size / format_duration; the SVG report draws "12.3 s" with svg_text.)

#include <chrono>
#include <cstdint>
#include <string>

namespace stagehand::util {

// Bytes as whole MiB, rounded to the nearest (half up): 431'000'000 -> "411 MiB".
std::string format_mib(std::int64_t bytes);

// Seconds with one decimal, rounded: 1'234 ms -> "1.2s", 59'950 ms -> "60.0s". Takes any
// std::chrono duration (milliseconds convert without loss).
std::string format_seconds(std::chrono::duration<double> duration);

}  // namespace stagehand::util
