#pragma once
// The line formats of the event log, as spdlog formatters (SPEC section 2, Output):
//   text   "HH:MM:SS LEVEL [service] message"          (payload: "[service] message")
//   json   {"time":"HH:MM:SS","level":"LEVEL",...}     (payload: the JSON members)
// The closing summary and the verdict are logged at spdlog's `critical` level, which no event
// uses, and printed as their payload alone: they are whole lines already.

#include <memory>

#include <spdlog/formatter.h>

#include "runtime/cli.hpp"

namespace stagehand::runtime {

// spdlog's level for summary lines.
constexpr auto k_summary_level = spdlog::level::critical;

// A fresh formatter for `format` (each sink owns its own).
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

}  // namespace stagehand::runtime
