#pragma once
// Internal to render_report_svg: where things go on the page, and the two data panels
// (available memory, service rows). Colours are named once here so the legend matches.

#include <cstddef>
#include <optional>
#include <vector>

#include "core/report/report_view.hpp"
#include "core/report/svg_canvas.hpp"

namespace stagehand::core::svg {

constexpr double k_width = 1120;
constexpr double k_margin = 16;
constexpr double k_label_width = 210;  // service names, left of the chart
constexpr double k_right_room = 170;   // captions after bars that end late
constexpr double k_memory_height = 120;
constexpr double k_row_height = 36;
constexpr double k_diagnosis_line = 16;
constexpr std::size_t k_max_diagnosis = 12;

constexpr const char* k_red = "#c62828";
constexpr const char* k_green = "#2e7d32";
constexpr const char* k_bar_ready = "#4c78a8";
constexpr const char* k_bar_unchanged = "#9aa5b1";
constexpr const char* k_bar_gave_up = "#e8743b";
constexpr const char* k_wait_dependency = "#cdbfe9";
constexpr const char* k_wait_concurrency = "#d5dce4";
constexpr const char* k_wait_memory = "#f2b84b";
constexpr const char* k_wait_pressure = "#f28e2b";
constexpr const char* k_wait_other = "#dddddd";
constexpr const char* k_memory_fill = "#a8cbea";
constexpr const char* k_memory_line = "#2f6fa8";

struct Layout {
    double x0 = 0;  // chart left (time 0)
    double x1 = 0;  // chart right (time span_ms)
    double span_ms = 1000;
    double run_end_ms = 0;  // the last time the report mentions
    std::vector<double> ticks_s;
    int tick_decimals = 0;
    bool deadline_on_chart = false;
    double total_bytes = 0;                    // top of the memory scale
    std::optional<std::size_t> lowest_sample;  // index into ReportView::samples
    double memory_top = 0;
    double rows_top = 0;
    double rows_bottom = 0;
    double legend_top = 0;
    double diagnosis_top = 0;
    double height = 0;

    // Chart x of a time in ms (clamped to the chart).
    double x(double ms) const;
};

Layout make_layout(const ReportView& view);

// Patterns used by the rows (hatching for waits).
void draw_defs(SvgCanvas& canvas);
// Available memory over time as an area with the limit and the lowest point marked.
void draw_memory(SvgCanvas& canvas, const ReportView& view, const Layout& layout);
// Row `index`: the service's name, its waits (with reasons) and its start-to-ready bar.
void draw_service_row(SvgCanvas& canvas, const ReportView& view, std::size_t index,
                      const Layout& layout);

}  // namespace stagehand::core::svg
