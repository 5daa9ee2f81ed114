#include "core/report/svg.hpp"

#include <algorithm>
#include <cmath>

#include "core/report/report_view.hpp"
#include "core/report/svg_canvas.hpp"
#include "core/report/svg_layout.hpp"
#include "core/report/svg_text.hpp"

namespace stagehand::core {

namespace {

using svg::Layout;

std::size_t ready_count(const ReportView& view) {
    return static_cast<std::size_t>(
        std::count_if(view.services.begin(), view.services.end(), [](const ServiceView& s) {
            return s.outcome == "ready" || s.outcome == "completed" || s.outcome == "unchanged";
        }));
}

std::string status_line(const ReportView& view) {
    if (!view.has_start) {
        return view.verdict.empty() ? "this report holds no start sequence" : view.verdict;
    }
    std::string line = std::to_string(ready_count(view)) + " of " +
                       std::to_string(view.services.size()) + " services ready";
    if (view.ok && view.all_ready_ms && view.first_start_ms) {
        line += " " + seconds_text(*view.all_ready_ms - *view.first_start_ms) +
                " after the first start";
    }
    return line;
}

// "30.0 min" for long spans (a deadline), "12.3 s" for short ones.
std::string duration(double ms) {
    return ms >= 120000 ? fixed(ms / 60000.0, 1) + " min" : seconds_text(ms);
}

bool failed(const ReportView& view) {
    return !view.ok || (!view.outcome.empty() && view.outcome != "succeeded");
}

void draw_header(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    const double left = svg::k_margin;
    const double room = svg::k_width - 2 * left;
    canvas.text(left, 26, fit_text(view.title, room, 16), {16, "start", "#111", "bold"});
    const char* separator_colour = "#999";
    std::vector<TextSpan> runs = {
        {failed(view) ? "FAILED  " : "OK  ", failed(view) ? svg::k_red : svg::k_green, "bold"},
        {status_line(view), "#222", "normal"}};
    if (view.has_start) {
        runs.push_back({"  \u00b7  ", separator_colour, "normal"});
        runs.push_back(
            {std::to_string(view.oom_kills) + " OOM kill" + (view.oom_kills == 1 ? "" : "s"),
             view.oom_kills > 0 ? svg::k_red : "#222", view.oom_kills > 0 ? "bold" : "normal"});
    }
    if (view.deadline_ms && !layout.deadline_on_chart) {
        runs.push_back({"  \u00b7  ", separator_colour, "normal"});
        runs.push_back(
            {"deadline " + duration(*view.deadline_ms) + " after the start (off the chart)", "#555",
             "normal"});
    }
    canvas.spans(left, 50, 13, runs);
    if (failed(view) && !view.failure.empty()) {
        canvas.text(left, 72, fit_text(view.failure, room, 13), {13, "start", svg::k_red, "bold"},
                    view.failure);
    }
}

void draw_time_grid(SvgCanvas& canvas, const Layout& layout) {
    for (const double tick : layout.ticks_s) {
        const double x = layout.x(tick * 1000);
        canvas.line(x, layout.memory_top, x, layout.rows_bottom, "#e4e4e4", 1);
        canvas.text(x, layout.rows_bottom + 16, fixed(tick, layout.tick_decimals),
                    {11, "middle", "#333"});
    }
    canvas.line(layout.x0, layout.rows_bottom, layout.x1, layout.rows_bottom, "#888", 1);
    canvas.text((layout.x0 + layout.x1) / 2, layout.rows_bottom + 34,
                "seconds since the start sequence began", {11, "middle", "#555"});
}

void draw_marker(SvgCanvas& canvas, const Layout& layout, double ms, const std::string& label,
                 const char* colour, double label_y) {
    const double x = layout.x(ms);
    canvas.line(x, layout.memory_top, x, layout.rows_bottom, colour, 1.5, "6,4");
    const bool room_right = x + text_width(label, 11) + 6 < svg::k_width - svg::k_margin;
    canvas.text(room_right ? x + 4 : x - 4, label_y, label,
                {11, room_right ? "start" : "end", colour, "bold", "normal", true});
}

void draw_markers(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    if (view.all_ready_ms) {
        draw_marker(canvas, layout, *view.all_ready_ms,
                    "all ready " + seconds_text(*view.all_ready_ms), svg::k_green,
                    layout.rows_top - 4);
    }
    if (view.deadline_ms && layout.deadline_on_chart) {
        draw_marker(canvas, layout, *view.deadline_ms,
                    "deadline " + seconds_text(*view.deadline_ms), svg::k_red,
                    layout.memory_top + 12);
    }
}

void draw_legend(SvgCanvas& canvas, const Layout& layout) {
    struct Entry {
        const char* colour;
        const char* label;
    };
    const Entry entries[] = {{svg::k_bar_ready, "starting \u2192 ready"},
                             {svg::k_bar_unchanged, "left running"},
                             {svg::k_red, "failed / OOM-killed"},
                             {svg::k_bar_gave_up, "gave up (timeout)"},
                             {svg::k_wait_dependency, "wait: dependency"},
                             {svg::k_wait_concurrency, "wait: concurrency / CPU"},
                             {svg::k_wait_memory, "wait: memory"},
                             {svg::k_wait_pressure, "wait: pressure"},
                             {svg::k_memory_fill, "available memory"}};
    double x = svg::k_margin;
    double y = layout.legend_top;
    for (const auto& entry : entries) {
        const double width = 16 + 6 + text_width(entry.label, 11) + 18;
        if (x + width > svg::k_width - svg::k_margin) {
            x = svg::k_margin;
            y += 20;
        }
        canvas.rect(x, y - 10, 16, 11, entry.colour, "stroke=\"#777\" stroke-width=\"0.5\"");
        canvas.text(x + 22, y, entry.label, {11, "start", "#333"});
        x += width;
    }
}

void draw_diagnosis(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    if (view.diagnosis.empty()) {
        return;
    }
    double y = layout.diagnosis_top;
    canvas.text(svg::k_margin, y, "diagnosis", {11, "start", "#7a1c1c", "bold"});
    y += svg::k_diagnosis_line;
    for (std::size_t i = 0; i < view.diagnosis.size() && i < svg::k_max_diagnosis; ++i) {
        const std::string& line = view.diagnosis[i];
        canvas.text(svg::k_margin, y, fit_text(line, svg::k_width - 2 * svg::k_margin, 11),
                    {11, "start", "#7a1c1c"}, line);
        y += svg::k_diagnosis_line;
    }
}

}  // namespace

std::string render_report_svg(const nlohmann::json& report) {
    const ReportView view = read_report_view(report);
    const Layout layout = svg::make_layout(view);
    SvgCanvas canvas(svg::k_width, layout.height);
    svg::draw_defs(canvas);
    draw_header(canvas, view, layout);
    draw_time_grid(canvas, layout);
    svg::draw_memory(canvas, view, layout);
    for (std::size_t i = 0; i < view.services.size(); ++i) {
        svg::draw_service_row(canvas, view, i, layout);
    }
    draw_markers(canvas, view, layout);
    draw_legend(canvas, layout);
    draw_diagnosis(canvas, view, layout);
    return canvas.finish();
}

}  // namespace stagehand::core
