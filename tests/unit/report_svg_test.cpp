// render_report_svg (src/core/report): the picture is well-formed XML whatever the report
// holds, names every service, escapes hostile text, and shows failures, OOM kills and the
// deadline. Well-formedness is checked by the small XML checker below (no XML library).

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/report/svg.hpp"
#include "core/report/svg_layout.hpp"
#include "core/report/svg_text.hpp"

namespace {

using nlohmann::json;
using stagehand::core::render_report_svg;

// ---- a minimal XML 1.0 well-formedness checker: returns "" or what is wrong ----

class XmlChecker {
  public:
    explicit XmlChecker(const std::string& text) : m_text(text) {}

    std::string check() {
        if (auto bad = check_characters(); !bad.empty()) {
            return bad;
        }
        if (m_text.rfind("<?xml", 0) == 0) {
            const auto end = m_text.find("?>");
            if (end == std::string::npos) {
                return "unterminated XML declaration";
            }
            m_at = end + 2;
        }
        bool root_seen = false;
        while (m_at < m_text.size()) {
            if (m_text[m_at] != '<') {
                if (auto bad = text_run(); !bad.empty()) {
                    return bad;
                }
                continue;
            }
            if (m_stack.empty() && root_seen) {
                return "content after the root element at " + std::to_string(m_at);
            }
            if (auto bad = tag(); !bad.empty()) {
                return bad;
            }
            root_seen = true;
        }
        if (!m_stack.empty()) {
            return "unclosed <" + m_stack.back() + ">";
        }
        return root_seen ? "" : "no root element";
    }

  private:
    std::string check_characters() const {
        for (std::size_t i = 0; i < m_text.size();) {
            const auto c = static_cast<unsigned char>(m_text[i]);
            std::size_t length = c < 0x80         ? 1
                                 : (c >> 5) == 6  ? 2
                                 : (c >> 4) == 14 ? 3
                                 : (c >> 3) == 30 ? 4
                                                  : 0;
            if (length == 0 || i + length > m_text.size()) {
                return "invalid UTF-8 at byte " + std::to_string(i);
            }
            char32_t code = length == 1 ? c : (c & (0x7F >> length));
            for (std::size_t k = 1; k < length; ++k) {
                const auto next = static_cast<unsigned char>(m_text[i + k]);
                if ((next >> 6) != 2) {
                    return "invalid UTF-8 at byte " + std::to_string(i + k);
                }
                code = (code << 6) | (next & 0x3F);
            }
            const bool ok = (code >= 0x20 || code == 0x9 || code == 0xA || code == 0xD) &&
                            !(code >= 0xD800 && code <= 0xDFFF) && code != 0xFFFE && code != 0xFFFF;
            if (!ok) {
                return "character U+" + std::to_string(static_cast<unsigned>(code)) +
                       " not allowed in XML at byte " + std::to_string(i);
            }
            i += length;
        }
        return "";
    }

    static bool name_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
               c == '.';
    }

    std::string name() {
        const std::size_t from = m_at;
        while (m_at < m_text.size() && name_char(m_text[m_at])) {
            ++m_at;
        }
        return m_text.substr(from, m_at - from);
    }

    void spaces() {
        while (m_at < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_at]))) {
            ++m_at;
        }
    }

    // An entity reference starting at '&': one of the five, or a character reference.
    std::string entity() {
        const auto end = m_text.find(';', m_at);
        if (end == std::string::npos) {
            return "unterminated entity at " + std::to_string(m_at);
        }
        const std::string body = m_text.substr(m_at + 1, end - m_at - 1);
        static const std::set<std::string> named = {"amp", "lt", "gt", "quot", "apos"};
        const bool numeric = body.size() > 1 && body[0] == '#' &&
                             body.find_first_not_of("0123456789", 1) == std::string::npos;
        if (named.count(body) == 0 && !numeric) {
            return "bad entity &" + body + "; at " + std::to_string(m_at);
        }
        m_at = end + 1;
        return "";
    }

    std::string text_run() {
        while (m_at < m_text.size() && m_text[m_at] != '<') {
            if (m_text[m_at] == '&') {
                if (auto bad = entity(); !bad.empty()) {
                    return bad;
                }
                continue;
            }
            if (m_text.compare(m_at, 3, "]]>") == 0) {
                return "]]> in text at " + std::to_string(m_at);
            }
            if (m_stack.empty() && !std::isspace(static_cast<unsigned char>(m_text[m_at]))) {
                return "text outside the root element at " + std::to_string(m_at);
            }
            ++m_at;
        }
        return "";
    }

    std::string attribute_value() {
        if (m_at >= m_text.size() || (m_text[m_at] != '"' && m_text[m_at] != '\'')) {
            return "unquoted attribute value at " + std::to_string(m_at);
        }
        const char quote = m_text[m_at++];
        while (m_at < m_text.size() && m_text[m_at] != quote) {
            if (m_text[m_at] == '<') {
                return "< in attribute value at " + std::to_string(m_at);
            }
            if (m_text[m_at] == '&') {
                if (auto bad = entity(); !bad.empty()) {
                    return bad;
                }
                continue;
            }
            ++m_at;
        }
        if (m_at >= m_text.size()) {
            return "unterminated attribute value";
        }
        ++m_at;
        return "";
    }

    std::string tag() {
        ++m_at;  // '<'
        const bool closing = m_at < m_text.size() && m_text[m_at] == '/';
        m_at += closing ? 1 : 0;
        const std::string element = name();
        if (element.empty() || std::isdigit(static_cast<unsigned char>(element[0]))) {
            return "bad element name at " + std::to_string(m_at);
        }
        if (closing) {
            spaces();
            if (m_at >= m_text.size() || m_text[m_at] != '>') {
                return "bad closing tag </" + element;
            }
            ++m_at;
            if (m_stack.empty() || m_stack.back() != element) {
                return "</" + element + "> does not close <" +
                       (m_stack.empty() ? std::string("nothing") : m_stack.back()) + ">";
            }
            m_stack.pop_back();
            return "";
        }
        return attributes(element);
    }

    std::string attributes(const std::string& element) {
        std::set<std::string> seen;
        while (true) {
            const std::size_t before = m_at;
            spaces();
            if (m_at >= m_text.size()) {
                return "unterminated <" + element;
            }
            if (m_text.compare(m_at, 2, "/>") == 0) {
                m_at += 2;
                return "";
            }
            if (m_text[m_at] == '>') {
                ++m_at;
                m_stack.push_back(element);
                return "";
            }
            if (m_at == before) {
                return "no space before an attribute of <" + element + ">";
            }
            const std::string attribute = name();
            if (attribute.empty() || m_at >= m_text.size() || m_text[m_at] != '=') {
                return "bad attribute in <" + element + "> at " + std::to_string(m_at);
            }
            if (!seen.insert(attribute).second) {
                return "duplicate attribute " + attribute + " in <" + element + ">";
            }
            ++m_at;
            if (auto bad = attribute_value(); !bad.empty()) {
                return bad;
            }
        }
    }

    const std::string& m_text;
    std::size_t m_at = 0;
    std::vector<std::string> m_stack;
};

std::string xml_problem(const std::string& text) {
    return XmlChecker(text).check();
}

// ---- reports ----

json service(const std::string& name, double start, double ready, double peak_mib,
             const std::string& outcome = "ready", json waits = json::array()) {
    return {{"name", name},
            {"image", "127.0.0.1:5000/x:1"},
            {"need_bytes", 100 << 20},
            {"need_source", "declared"},
            {"ready_by", "probe"},
            {"start_ms", start},
            {"ready_ms", ready},
            {"peak_bytes", peak_mib * 1048576},
            {"outcome", outcome},
            {"warning", false},
            {"waits", std::move(waits)}};
}

json samples(int count, double step_ms) {
    json out = json::array();
    for (int i = 0; i < count; ++i) {
        const double available = (900.0 - 400.0 * ((i % 50) / 50.0)) * 1048576;
        out.push_back({{"at_ms", i * step_ms},
                       {"available_bytes", available},
                       {"total_bytes", 1024.0 * 1048576}});
    }
    return out;
}

const std::vector<std::string> k_randhand = {
    "rabbitmq", "config-service", "eureka-server",   "gateway-service",        "zookeeper",
    "kafka",    "chat-service",   "gesture-service", "randhand-kafka-consumer"};

// A whole report as state_dir/reports/<id>.json holds it, nine services started in turn.
json randhand_report() {
    json services = json::array();
    double at = 200;
    for (const auto& name : k_randhand) {
        json waits = json::array();
        if (at > 200) {
            waits.push_back({{"kind", "concurrency"},
                             {"reason", "1 service(s) still starting (concurrency 1)"},
                             {"from_ms", 200},
                             {"to_ms", at - 400}});
            waits.push_back({{"kind", "memory"},
                             {"reason",
                              "memory: available 300 MiB, need 245 MiB (declared) + "
                              "reserve 64 MiB"},
                             {"from_ms", at - 400},
                             {"to_ms", at}});
        }
        services.push_back(service(name, at, at + 1800, 120, "ready", waits));
        at += 2000;
    }
    json start = {{"ok", true},
                  {"failure", ""},
                  {"failed_service", ""},
                  {"diagnosis", json::array()},
                  {"oom_kills", 0},
                  {"memory_source", "cgroup:/x"},
                  {"services", services},
                  {"memory_samples", samples(100, 200)},
                  {"first_start_ms", 200},
                  {"all_ready_ms", at - 200},
                  {"deadline_ms", 1800000}};
    return {{"deployment_id", "d-ABC123"},
            {"project", "randhand"},
            {"hooks", {{"after-install", {{"outcome", "succeeded"}, {"start", start}}}}}};
}

json& start_of(json& report) {
    return report["hooks"]["after-install"]["start"];
}

TEST(ReportSvgChecker, AcceptsWellFormedAndRejectsBroken) {
    EXPECT_EQ(xml_problem("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; &#39; u</a>\n"), "");
    const std::vector<std::string> broken = {
        "<a><b></a></b>", "<a x=1/>",   "<a>&foo;</a>",         "<a>x & y</a>", "<a x=\"<\"/>",
        "<a></a><b/>",    "<a>",        "<a x=\"1\" x=\"2\"/>", "<a>\x01</a>",  "<a>\xff</a>",
        "text<a/>",       "<a>]]></a>", "<a x=\"1\"y=\"2\"/>"};
    for (const auto& text : broken) {
        EXPECT_NE(xml_problem(text), "") << text;
    }
}

TEST(ReportSvg, WholeReportIsWellFormedAndNamesEveryService) {
    const std::string svg = render_report_svg(randhand_report());
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(svg.rfind("<?xml", 0), 0U);
    EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
    for (const auto& name : k_randhand) {
        EXPECT_NE(svg.find(">" + name + "</text>"), std::string::npos) << name;
    }
    EXPECT_NE(svg.find(">OK  </tspan>"), std::string::npos);
    EXPECT_NE(svg.find(">0 OOM kills</tspan>"), std::string::npos);
    EXPECT_NE(svg.find("all ready 18.0 s"), std::string::npos);
    EXPECT_NE(svg.find("wait: memory"), std::string::npos);
    // A 30 min deadline is not drawn over a 20 s run: it is mentioned instead.
    EXPECT_NE(svg.find("deadline 30.0 min after the start (off the chart)"), std::string::npos);
    // Self-contained: no external references.
    EXPECT_EQ(svg.find("href"), std::string::npos);
    EXPECT_EQ(svg.find("http://", svg.find("2000/svg") + 8), std::string::npos);
}

// Wait colours follow the kind the report names, never the reason's wording.
TEST(ReportSvg, WaitColoursFollowTheKind) {
    json report = randhand_report();
    auto& waits = report["hooks"]["after-install"]["start"]["services"][1]["waits"];
    ASSERT_TRUE(waits.is_array());
    const auto fill_of = [](const std::string& svg, const std::string& reason) {
        const auto at = svg.find("for " + reason);
        const auto rect = svg.rfind("<rect", at);
        const auto fill = svg.find("fill=\"", rect);
        return at == std::string::npos ? std::string() : svg.substr(fill + 6, 7);
    };
    waits = json::array({{{"kind", "cpu"},
                          {"reason", "memory wording, cpu kind"},
                          {"from_ms", 0},
                          {"to_ms", 150}}});
    EXPECT_EQ(fill_of(render_report_svg(report), "memory wording, cpu kind"),
              stagehand::core::svg::k_wait_concurrency);
    waits[0]["kind"] = "memory";
    waits[0]["reason"] = "still starting wording";
    EXPECT_EQ(fill_of(render_report_svg(report), "still starting wording"),
              stagehand::core::svg::k_wait_memory);
    waits[0].erase("kind");  // an older report
    EXPECT_EQ(fill_of(render_report_svg(report), "still starting wording"),
              stagehand::core::svg::k_wait_other);
}

TEST(ReportSvg, AcceptsTheHookPartAndTheStartObject) {
    json report = randhand_report();
    const json part = report["hooks"]["after-install"];
    const json start = part["start"];
    for (const json& input : {part, start}) {
        const std::string svg = render_report_svg(input);
        EXPECT_EQ(xml_problem(svg), "");
        EXPECT_NE(svg.find(">chat-service</text>"), std::string::npos);
    }
}

// A boot's report (after-install --boot) keeps its start timeline under hooks.boot.
TEST(ReportSvg, DrawsABootReportTitledAsABoot) {
    json report = randhand_report();
    report["hooks"]["boot"] = report["hooks"]["after-install"];
    report["hooks"]["boot"]["hook"] = "boot";
    report["hooks"].erase("after-install");
    const std::string svg = render_report_svg(report);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find(">chat-service</text>"), std::string::npos);
    EXPECT_NE(svg.find(">boot \u00b7 randhand"), std::string::npos);
    EXPECT_EQ(svg.find(">after-install \u00b7"), std::string::npos);
}

TEST(ReportSvg, HostileNamesAndReasonsAreEscaped) {
    json report = randhand_report();
    const std::vector<std::string> hostile = {"<script>alert(1)</script>",
                                              "a&b\"c'd",
                                              "]]><x>",
                                              "ctl\x01\x02\x1b[31m",
                                              "bad\xff\xfe utf8\xc3",
                                              "--><!--",
                                              std::string(300, 'w'),
                                              "\xe2\x80\xae rtl"};
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        auto& entry = start_of(report)["services"][i % 9];
        entry["name"] = hostile[i];
        entry["waits"] = json::array({{{"reason", hostile[i]}, {"from_ms", 0}, {"to_ms", 100}}});
    }
    start_of(report)["failure"] = "<b>boom</b> & \x07";
    start_of(report)["ok"] = false;
    start_of(report)["diagnosis"] = json::array({"</svg>", "&amp;"});
    report["deployment_id"] = "\"><svg onload=alert(1)>";
    const std::string svg = render_report_svg(report);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_EQ(svg.find("<script"), std::string::npos);
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
    EXPECT_EQ(svg.find("<x>"), std::string::npos);
    EXPECT_EQ(svg.find("<svg onload"), std::string::npos);
    EXPECT_EQ(svg.find("<svg", svg.find("<svg") + 1), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(svg.find("a&amp;b&quot;c&#39;d"), std::string::npos);
    EXPECT_NE(svg.find("&amp;amp;"), std::string::npos);
}

TEST(ReportSvg, OddReportsStillRender) {
    json mistyped = randhand_report();
    start_of(mistyped)["services"][0]["start_ms"] = "soon";
    start_of(mistyped)["services"][1]["waits"] = "none";
    start_of(mistyped)["services"][2] = 42;
    start_of(mistyped)["memory_samples"] = json::array({{{"at_ms", "x"}}, 7});
    start_of(mistyped)["oom_kills"] = "many";
    json no_samples = randhand_report();
    start_of(no_samples)["memory_samples"] = json::array();
    const std::vector<json> inputs = {json(),
                                      json::array(),
                                      json(3),
                                      json::object(),
                                      mistyped,
                                      no_samples,
                                      json{{"hooks", {{"after-install", {{"start", "17:00"}}}}}}};
    for (const auto& input : inputs) {
        std::string svg;
        ASSERT_NO_THROW(svg = render_report_svg(input)) << input.dump();
        EXPECT_EQ(xml_problem(svg), "") << input.dump();
    }
    EXPECT_NE(render_report_svg(no_samples).find("no memory samples"), std::string::npos);
    EXPECT_NE(render_report_svg(json::object()).find("holds no start sequence"), std::string::npos);
}

TEST(ReportSvg, FailureAndOomKillsShowInRed) {
    json report = randhand_report();
    auto& start = start_of(report);
    start["ok"] = false;
    start["oom_kills"] = 1;
    start["failed_service"] = "kafka";
    start["failure"] =
        "kafka was killed by the kernel's OOM killer (system-wide: the host ran out of memory)";
    start["diagnosis"] = json::array({"kafka: exit 137, OOMKilled false", "last log: ramping"});
    start["services"][5]["outcome"] = "failed";
    start["services"][5]["oom_kill"] = "system_wide";
    start["services"][5]["ready_ms"] = -1;
    start["services"][6]["outcome"] = "not started";
    start["services"][6]["start_ms"] = -1;
    start["services"][6]["ready_ms"] = -1;
    start.erase("all_ready_ms");
    report["hooks"]["after-install"]["outcome"] = "failed";
    const std::string svg = render_report_svg(report);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find(">FAILED  </tspan>"), std::string::npos);
    EXPECT_NE(svg.find(">1 OOM kill</tspan>"), std::string::npos);
    const auto caption = svg.find("FAILED (OOM-killed)</text>");
    ASSERT_NE(caption, std::string::npos);
    const auto element = svg.rfind("<text", caption);
    EXPECT_NE(svg.substr(element, caption - element).find("fill=\"#c62828\""), std::string::npos);
    EXPECT_NE(svg.find("kafka was killed by the kernel&#39;s OOM killer"), std::string::npos)
        << svg;
    EXPECT_NE(svg.find("last log: ramping"), std::string::npos);
    EXPECT_NE(svg.find(">not started</text>"), std::string::npos);
    EXPECT_EQ(svg.find("all ready"), std::string::npos);
    // A plain SIGKILL names the OOM killer only to rule it out: no OOM caption.
    start["oom_kills"] = 0;
    start["failure"] = "kafka was killed by SIGKILL (exit code 137, not by the OOM killer)";
    start["services"][5]["oom_kill"] = "not_oom";
    const std::string sigkill = render_report_svg(report);
    EXPECT_EQ(sigkill.find("FAILED (OOM-killed)"), std::string::npos);
    EXPECT_NE(sigkill.find(">FAILED</text>"), std::string::npos);
}

TEST(ReportSvg, NearDeadlineIsDrawn) {
    json report = randhand_report();
    start_of(report)["deadline_ms"] = 20000;
    const std::string svg = render_report_svg(report);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find("deadline 20.0 s"), std::string::npos);
    EXPECT_EQ(svg.find("off the chart"), std::string::npos);
}

TEST(ReportSvg, ManySamplesAndServicesStayBounded) {
    json report = randhand_report();
    start_of(report)["memory_samples"] = samples(100000, 10);
    json many = json::array();
    for (int i = 0; i < 1000; ++i) {
        many.push_back(service("svc-" + std::to_string(i), i * 10.0, i * 10.0 + 5, 10));
    }
    start_of(report)["services"] = many;
    const std::string svg = render_report_svg(report);
    EXPECT_EQ(xml_problem(svg), "");
    EXPECT_NE(svg.find(">svc-999</text>"), std::string::npos);
    // One point per pixel column at most (2 paths of ~730 columns), not 100000 samples.
    const auto path = svg.find("<path d=\"M");
    ASSERT_NE(path, std::string::npos);
    EXPECT_LT(svg.find('"', path + 9) - path, 730U * 2 * 14);
}

// ---- text helpers ----

TEST(ReportSvgText, XmlEscape) {
    using stagehand::core::xml_escape;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"plain", "plain"},
        {"<&>\"'", "&lt;&amp;&gt;&quot;&#39;"},
        {"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
        {"\x01", "\xef\xbf\xbd"},
        {"\xff", "\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                  // overlong '/'
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // a surrogate
        {"\xef\xbf\xbe", "\xef\xbf\xbd"},                          // U+FFFE
        {"caf\xc3\xa9 \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xf0\x9f\x90\xb3"},
        {"cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (const auto& [in, want] : cases) {
        EXPECT_EQ(xml_escape(in), want) << in;
    }
}

TEST(ReportSvgText, FitTextCutsOnCharacters) {
    using stagehand::core::fit_text;
    EXPECT_EQ(fit_text("short", 100, 10), "short");
    EXPECT_EQ(fit_text("abcdefghij", 36, 10), "abcde\u2026");  // 6 px a char, "…" included
    EXPECT_EQ(fit_text("abc", 5, 10), "");
    const std::string cut = fit_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 20, 10);
    EXPECT_EQ(cut, "\xc3\xa9\xc3\xa9\u2026");
}

TEST(ReportSvgText, NiceTicksAndFixed) {
    using stagehand::core::fixed;
    using stagehand::core::nice_ticks;
    EXPECT_EQ(nice_ticks(20, 10), (std::vector<double>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20}));
    EXPECT_EQ(nice_ticks(45, 10), (std::vector<double>{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}));
    const auto tenths = nice_ticks(0.5, 5);
    ASSERT_EQ(tenths.size(), 6U);
    EXPECT_NEAR(tenths[3], 0.3, 1e-9);
    EXPECT_EQ(nice_ticks(0, 5), (std::vector<double>{0}));
    EXPECT_EQ(fixed(1.25, 1), "1.2");
    EXPECT_EQ(fixed(-0.01, 1), "0.0");
    EXPECT_EQ(fixed(std::numeric_limits<double>::infinity(), 1), "0");
}

}  // namespace
