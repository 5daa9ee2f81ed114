#include "core/report/svg_layout.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/report/svg_text.hpp"

namespace stagehand::core::svg {

namespace {

// The latest time anything in the report refers to: the end of the run as far as it is known.
double run_end_ms(const ReportView& view) {
    double end = 0;
    for (const auto& sample : view.samples) {
        end = std::max(end, sample.at_ms);
    }
    for (const auto& service : view.services) {
        end = std::max({end, service.start_ms, service.ready_ms});
        for (const auto& wait : service.waits) {
            end = std::max({end, wait.from_ms, wait.to_ms});
        }
    }
    for (const auto& mark : {view.first_start_ms, view.all_ready_ms}) {
        end = std::max(end, mark.value_or(0));
    }
    return end;
}

void place_time_axis(const ReportView& view, Layout& layout) {
    double end = std::max(layout.run_end_ms, 1000.0);
    // A deadline far beyond the run (30 min default vs 20 s of work) would squash the chart.
    if (view.deadline_ms && *view.deadline_ms > 0 && *view.deadline_ms <= end * 1.5) {
        layout.deadline_on_chart = true;
        end = std::max(end, *view.deadline_ms);
    }
    const double span_s = end * 1.02 / 1000.0;
    layout.ticks_s = nice_ticks(span_s, 12);
    const double step = layout.ticks_s.size() > 1 ? layout.ticks_s[1] : span_s;
    if (layout.ticks_s.back() < span_s) {
        layout.ticks_s.push_back(layout.ticks_s.back() + step);
    }
    layout.span_ms = std::max(layout.ticks_s.back() * 1000.0, 1.0);
    layout.tick_decimals = step >= 1 ? 0 : (step >= 0.1 ? 1 : 2);
}

void place_memory_scale(const ReportView& view, Layout& layout) {
    for (std::size_t i = 0; i < view.samples.size(); ++i) {
        const auto& sample = view.samples[i];
        layout.total_bytes =
            std::max({layout.total_bytes, sample.total_bytes, sample.available_bytes});
        if (!layout.lowest_sample ||
            sample.available_bytes < view.samples[*layout.lowest_sample].available_bytes) {
            layout.lowest_sample = i;
        }
    }
}

// By the wait's kind (core::ReasonKind's names in the report JSON), never its wording.
const char* wait_colour(const std::string& kind) {
    if (kind == "pressure") {
        return k_wait_pressure;
    }
    if (kind == "memory") {
        return k_wait_memory;
    }
    if (kind == "concurrency" || kind == "cpu") {
        return k_wait_concurrency;
    }
    if (kind == "dependency") {
        return k_wait_dependency;
    }
    return k_wait_other;
}

const char* bar_colour(const ReportView& view, const ServiceView& service) {
    if (service.outcome == "failed" || (!view.ok && service.name == view.failed_service)) {
        return k_red;
    }
    if (service.outcome == "unchanged") {
        return k_bar_unchanged;
    }
    if (service.outcome == "gave up") {
        return k_bar_gave_up;
    }
    return k_bar_ready;
}

std::string caption(const ReportView& view, const ServiceView& service) {
    if (bar_colour(view, service) == k_red) {
        // Reports before the oom_kill field said "was OOM-killed" in the failure.
        const bool oom =
            service.oom_killed || view.failure.find("was OOM-killed") != std::string::npos;
        return oom ? "FAILED (OOM-killed)" : "FAILED";
    }
    if (service.outcome == "unchanged") {
        return "left running";
    }
    if (service.ready_ms < 0) {
        return service.outcome.empty() ? "not ready" : service.outcome;
    }
    std::string text = seconds_text(service.ready_ms - service.start_ms);
    if (service.peak_bytes > 0) {
        text += " \u00b7 peak " + mib_text(service.peak_bytes);
    }
    return service.outcome == "ready" || service.outcome.empty()
               ? text
               : text + " \u00b7 " + service.outcome;
}

std::string bar_tooltip(const ServiceView& service) {
    std::string text = service.name + ": " + (service.outcome.empty() ? "?" : service.outcome) +
                       ", started " + seconds_text(service.start_ms);
    if (service.ready_ms >= 0) {
        text += ", ready " + seconds_text(service.ready_ms);
    }
    if (service.peak_bytes > 0) {
        text += ", peak " + mib_text(service.peak_bytes);
    }
    if (service.need_bytes > 0) {
        text += ", need " + mib_text(service.need_bytes) + " (" + service.need_source + ")";
    }
    return service.warning ? text + " (warning: see the log)" : text;
}

void draw_waits(SvgCanvas& canvas, const ServiceView& service, double top, const Layout& layout) {
    const auto& waits = service.waits;
    for (std::size_t i = 0; i < waits.size(); ++i) {
        const auto& wait = waits[i];
        const double to = wait.to_ms >= 0
                              ? wait.to_ms
                              : (service.start_ms >= 0 ? service.start_ms : layout.run_end_ms);
        const double left = layout.x(wait.from_ms);
        const double width = std::max(layout.x(to) - left, 1.0);
        canvas.rect(left, top + 7, width, 12, wait_colour(wait.kind),
                    "fill-opacity=\"0.9\" stroke=\"#8a8a8a\" stroke-width=\"0.4\"",
                    "waiting " + seconds_text(to - wait.from_ms) + " for " + wait.reason);
        canvas.rect(left, top + 7, width, 12, "url(#hatch)");
        const double next =
            i + 1 < waits.size() ? layout.x(waits[i + 1].from_ms) : k_width - k_margin;
        canvas.text(left + 1, top + 31, fit_text(wait.reason, next - left - 6, 10),
                    {10, "start", "#555"}, wait.reason);
    }
}

double memory_y(const Layout& layout, double bytes) {
    return layout.memory_top + k_memory_height * (1 - bytes / layout.total_bytes);
}

// (x, available bytes) in time order, at most one point per pixel column (the lowest, so a
// dip is never smoothed away) however many samples a long run took.
std::vector<std::pair<double, double>> memory_points(const ReportView& view, const Layout& layout) {
    std::vector<SampleView> samples = view.samples;
    std::stable_sort(samples.begin(), samples.end(),
                     [](const SampleView& a, const SampleView& b) { return a.at_ms < b.at_ms; });
    std::vector<std::pair<double, double>> points;
    for (const auto& sample : samples) {
        const double x = layout.x(sample.at_ms);
        if (!points.empty() && std::floor(points.back().first) == std::floor(x) &&
            samples.size() > 2 * static_cast<std::size_t>(layout.x1 - layout.x0)) {
            points.back().second = std::min(points.back().second, sample.available_bytes);
            continue;
        }
        points.emplace_back(x, sample.available_bytes);
    }
    return points;
}

void draw_memory_series(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    const auto points = memory_points(view, layout);
    std::string line;
    for (const auto& [x, bytes] : points) {
        line += (line.empty() ? "M" : " L") + SvgCanvas::point(x, memory_y(layout, bytes));
    }
    const double bottom = layout.memory_top + k_memory_height;
    canvas.path(line + " L" + SvgCanvas::point(points.back().first, bottom) + " L" +
                    SvgCanvas::point(points.front().first, bottom) + " Z",
                k_memory_fill, "none", 0, "fill-opacity=\"0.75\"");
    canvas.path(line, "none", k_memory_line, 1.5);
}

void draw_lowest(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    const auto& low = view.samples[*layout.lowest_sample];
    const double x = layout.x(low.at_ms);
    const double y = memory_y(layout, low.available_bytes);
    canvas.circle(x, y, 3.5, k_memory_line);
    const std::string label =
        "lowest " + mib_text(low.available_bytes) + " at " + seconds_text(low.at_ms);
    const bool right = x + text_width(label, 11) + 8 < layout.x1;
    canvas.text(right ? x + 6 : x - 6, std::max(y - 6, layout.memory_top + 24), label,
                {11, right ? "start" : "end", k_memory_line, "bold", "normal", true});
}

}  // namespace

double Layout::x(double ms) const {
    const double clamped = std::clamp(ms, 0.0, span_ms);
    return x0 + clamped / span_ms * (x1 - x0);
}

Layout make_layout(const ReportView& view) {
    Layout layout;
    layout.x0 = k_margin + k_label_width;
    layout.x1 = k_width - k_right_room;
    layout.run_end_ms = run_end_ms(view);
    place_time_axis(view, layout);
    place_memory_scale(view, layout);
    const bool failure_line = !view.failure.empty() &&
                              (!view.ok || (!view.outcome.empty() && view.outcome != "succeeded"));
    layout.memory_top = failure_line ? 96 : 74;
    layout.rows_top = layout.memory_top + k_memory_height + 34;
    layout.rows_bottom = layout.rows_top + k_row_height * static_cast<double>(std::max<std::size_t>(
                                                              view.services.size(), 1));
    layout.legend_top = layout.rows_bottom + 64;
    layout.diagnosis_top = layout.legend_top + 40;
    const auto lines = std::min(view.diagnosis.size(), k_max_diagnosis);
    // The diagnosis' heading takes a line too.
    layout.height =
        layout.diagnosis_top + k_diagnosis_line * static_cast<double>(lines == 0 ? 0 : lines + 1);
    return layout;
}

void draw_defs(SvgCanvas& canvas) {
    canvas.raw(
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
        "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
        "stroke=\"#ffffff\" stroke-width=\"2\" stroke-opacity=\"0.55\"/></pattern></defs>\n");
}

void draw_service_row(SvgCanvas& canvas, const ReportView& view, std::size_t index,
                      const Layout& layout) {
    const ServiceView& service = view.services[index];
    const double top = layout.rows_top + k_row_height * static_cast<double>(index);
    if (index % 2 == 1) {
        canvas.rect(k_margin, top, k_width - 2 * k_margin, k_row_height, "#f5f6f8");
    }
    canvas.text(layout.x0 - 10, top + 18, fit_text(service.name, k_label_width - 14, 12),
                {12, "end", "#111", "bold"}, service.name);
    draw_waits(canvas, service, top, layout);
    if (service.start_ms < 0) {
        const bool culprit = !view.ok && service.name == view.failed_service;
        canvas.text(layout.x0 + 4, top + 18, culprit ? "FAILED before it started" : "not started",
                    {11, "start", culprit ? k_red : "#888", "normal", "italic"});
        return;
    }
    const double end = service.ready_ms >= 0 ? service.ready_ms : layout.run_end_ms;
    const double left = layout.x(service.start_ms);
    const double right = std::max(layout.x(end), left + 2);
    const char* colour = bar_colour(view, service);
    canvas.rect(left, top + 5, right - left, 16, colour, "rx=\"2\"", bar_tooltip(service));
    std::string text = caption(view, service);
    if (service.warning) {
        text += " (!)";
    }
    canvas.text(
        right + 5, top + 17, fit_text(text, k_width - k_margin - right - 5, 11),
        {11, "start", colour == k_red ? k_red : "#333", colour == k_red ? "bold" : "normal"},
        bar_tooltip(service));
}

void draw_memory(SvgCanvas& canvas, const ReportView& view, const Layout& layout) {
    const double top = layout.memory_top;
    canvas.text(k_margin, top + 12, "available memory", {12, "start", "#111", "bold"});
    canvas.rect(layout.x0, top, layout.x1 - layout.x0, k_memory_height, "none",
                "stroke=\"#bbbbbb\" stroke-width=\"1\"");
    if (view.samples.empty() || layout.total_bytes <= 0) {
        canvas.text((layout.x0 + layout.x1) / 2, top + k_memory_height / 2, "no memory samples",
                    {12, "middle", "#888", "normal", "italic"});
        return;
    }
    for (const double fraction : {0.0, 0.5, 1.0}) {
        canvas.text(layout.x0 - 6, memory_y(layout, layout.total_bytes * fraction) + 4,
                    mib_text(layout.total_bytes * fraction), {11, "end", "#555"});
    }
    const double middle = memory_y(layout, layout.total_bytes / 2);
    canvas.line(layout.x0, middle, layout.x1, middle, "#e4e4e4", 1);
    draw_memory_series(canvas, view, layout);
    draw_lowest(canvas, view, layout);
    if (!view.memory_source.empty()) {
        const std::string source = "source: " + view.memory_source;
        canvas.text(layout.x0, top + k_memory_height + 13,
                    fit_text(source, layout.x1 - layout.x0, 10), {10, "start", "#777"}, source);
    }
}

}  // namespace stagehand::core::svg
