#pragma once
// The deployment report as a picture an operator reads at a glance: a self-contained SVG
// timeline of one after-install start sequence.

#include <string>

#include <nlohmann/json.hpp>

namespace stagehand::core {

// Renders `report` (a whole state_dir/reports/<id>.json, after-install's part of it, or its
// start object) as a standalone SVG document (UTF-8, no external references):
//   - a header with the outcome, time to all ready, OOM kills and the failure, if any;
//   - available memory over time (area, from memory_samples), the lowest point marked;
//   - one row per service: its waits before the start (shaded by kind, reason written
//     under them) and a bar from start to ready, failures in red;
//   - markers for all ready and the deadline (when within reach of the chart), a time axis in
//     seconds, a legend, and the diagnosis lines of a failed run.
// Pure: no I/O, never throws on odd input (missing or mistyped fields render as absent).
std::string render_report_svg(const nlohmann::json& report);

}  // namespace stagehand::core
