#pragma once
// A write-only SVG canvas: appends elements to a string with every coordinate formatted
// locale-free and every piece of text escaped, so callers cannot produce malformed XML.

#include <string>
#include <string_view>
#include <vector>

namespace stagehand::core {

// Text styling: font size in px, anchor (start|middle|end), fill colour, weight, style.
struct TextStyle {
    double size = 11;
    const char* anchor = "start";
    const char* fill = "#222";
    const char* weight = "normal";
    const char* style = "normal";
    bool halo = false;  // a white outline, so the text stays legible over lines and areas
};

// One run of differently styled text inside a line (an SVG <tspan>).
struct TextSpan {
    std::string text;  // raw: escaped by the canvas
    const char* fill = "#222";
    const char* weight = "normal";
};

class SvgCanvas {
  public:
    SvgCanvas(double width, double height);

    // A rectangle; `tooltip` (escaped) becomes a <title> child when not empty. `extra`: more
    // attributes, constants from the caller only (never report text).
    void rect(double x, double y, double width, double height, std::string_view fill,
              std::string_view extra = "", std::string_view tooltip = "");
    void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
              std::string_view dash = "");
    // `content` is raw text: it is escaped here.
    void text(double x, double y, std::string_view content, const TextStyle& style,
              std::string_view tooltip = "");
    // One line made of styled runs, left-aligned at x.
    void spans(double x, double y, double size, const std::vector<TextSpan>& runs);
    // `d` is built by the caller from numbers only (see `point`).
    void path(std::string_view d, std::string_view fill, std::string_view stroke,
              double stroke_width, std::string_view extra = "");
    void circle(double cx, double cy, double r, std::string_view fill);
    // Verbatim markup for <defs>: callers pass constants only, never report text.
    void raw(std::string_view markup);

    // "x,y" for path data.
    static std::string point(double x, double y);

    // The finished document, XML declaration and root element included.
    std::string finish() const;

  private:
    double m_width;
    double m_height;
    std::string m_body;
};

}  // namespace stagehand::core
