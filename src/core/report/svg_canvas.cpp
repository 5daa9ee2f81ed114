#include "core/report/svg_canvas.hpp"

#include "core/report/svg_text.hpp"

namespace stagehand::core {

namespace {

std::string num(double value) {
    return fixed(value, 1);
}

std::string attr(std::string_view name, std::string_view value) {
    return " " + std::string(name) + "=\"" + xml_escape(value) + "\"";
}

std::string title_element(std::string_view tooltip) {
    return tooltip.empty() ? std::string() : "<title>" + xml_escape(tooltip) + "</title>";
}

}  // namespace

SvgCanvas::SvgCanvas(double width, double height) : m_width(width), m_height(height) {}

void SvgCanvas::rect(double x, double y, double width, double height, std::string_view fill,
                     std::string_view extra, std::string_view tooltip) {
    m_body += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" +
              num(width > 0 ? width : 0) + "\" height=\"" + num(height > 0 ? height : 0) + "\"" +
              attr("fill", fill) + (extra.empty() ? "" : " " + std::string(extra));
    if (tooltip.empty()) {
        m_body += "/>\n";
    } else {
        m_body += ">" + title_element(tooltip) + "</rect>\n";
    }
}

void SvgCanvas::line(double x1, double y1, double x2, double y2, std::string_view stroke,
                     double width, std::string_view dash) {
    m_body += "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
              num(y2) + "\"" + attr("stroke", stroke) + " stroke-width=\"" + num(width) + "\"" +
              (dash.empty() ? "" : attr("stroke-dasharray", dash)) + "/>\n";
}

void SvgCanvas::text(double x, double y, std::string_view content, const TextStyle& style,
                     std::string_view tooltip) {
    if (content.empty()) {
        return;
    }
    m_body += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(style.size) +
              "\"" + attr("text-anchor", style.anchor) + attr("fill", style.fill) +
              attr("font-weight", style.weight) + attr("font-style", style.style) +
              (style.halo ? " stroke=\"#ffffff\" stroke-width=\"3\" stroke-opacity=\"0.85\" "
                            "paint-order=\"stroke\" stroke-linejoin=\"round\""
                          : "") +
              ">" + title_element(tooltip) + xml_escape(content) + "</text>\n";
}

void SvgCanvas::spans(double x, double y, double size, const std::vector<TextSpan>& runs) {
    // xml:space: the spaces that separate the runs must survive (SVG collapses them).
    m_body += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(size) +
              "\" xml:space=\"preserve\">";
    for (const auto& run : runs) {
        m_body += "<tspan" + attr("fill", run.fill) + attr("font-weight", run.weight) + ">" +
                  xml_escape(run.text) + "</tspan>";
    }
    m_body += "</text>\n";
}

void SvgCanvas::path(std::string_view d, std::string_view fill, std::string_view stroke,
                     double stroke_width, std::string_view extra) {
    m_body += "<path" + attr("d", d) + attr("fill", fill) + attr("stroke", stroke) +
              " stroke-width=\"" + num(stroke_width) + "\"" +
              (extra.empty() ? "" : " " + std::string(extra)) + "/>\n";
}

void SvgCanvas::circle(double cx, double cy, double r, std::string_view fill) {
    m_body += "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"" + num(r) + "\"" +
              attr("fill", fill) + "/>\n";
}

void SvgCanvas::raw(std::string_view markup) {
    m_body += markup;
}

std::string SvgCanvas::point(double x, double y) {
    return num(x) + "," + num(y);
}

std::string SvgCanvas::finish() const {
    const std::string w = num(m_width);
    const std::string h = num(m_height);
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
           w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
           "\" font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\">\n"
           "<rect x=\"0\" y=\"0\" width=\"" +
           w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n" + m_body + "</svg>\n";
}

}  // namespace stagehand::core
