// yaml::Source: the text of an input file, its parse, and Diagnostics pointing into it.

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>

#include "core/load/yaml_access.hpp"

namespace stagehand::core::yaml {
namespace {

// Records where each document starts; the parser needs a handler for the other events.
class DocumentStarts final : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}

    std::vector<YAML::Mark> marks;
};

}  // namespace

Source::Source(std::string_view text, std::string file) : m_file(std::move(file)) {
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string line(text.substr(start, end - start));
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        m_lines.push_back(std::move(line));
        start = end + 1;
    }
}

SourceMark Source::mark(const YAML::Mark& mark) const {
    if (mark.line < 0 || mark.column < 0) {
        return SourceMark{m_file, 0, 0};
    }
    return SourceMark{m_file, mark.line + 1, mark.column + 1};
}

std::string Source::line(int line) const {
    if (line < 1 || static_cast<std::size_t>(line) > m_lines.size()) {
        return "";
    }
    std::string out = m_lines[static_cast<std::size_t>(line - 1)];
    for (auto& c : out) {
        if (c == '\t') {
            c = ' ';
        }
    }
    return out;
}

SourceMark Source::end_of_text(const SourceMark& at) const {
    // yaml-cpp reports an unclosed '[' or '{' at the end of the input, often an empty last
    // line: show the end of the last line that has text instead, where the caret helps.
    if (at.line == 0 || !line(at.line).empty()) {
        return at;
    }
    for (int n = at.line - 1; n >= 1; --n) {
        std::string text = line(n);
        if (!text.empty()) {
            return SourceMark{m_file, n, static_cast<int>(text.size()) + 1};
        }
    }
    return at;
}

void Source::fail(const SourceMark& at, const std::string& key, const std::string& message) const {
    throw InputError(Diagnostic{at, key, message, line(at.line)});
}

YAML::Node Source::parse(std::string_view text) const {
    if (auto nul = text.find('\0'); nul != std::string_view::npos) {
        std::size_t line_start = text.rfind('\n', nul);
        line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
        int line = static_cast<int>(std::count(text.begin(), text.begin() + nul, '\n')) + 1;
        fail(SourceMark{m_file, line, static_cast<int>(nul - line_start) + 1}, "",
             "the file contains a NUL byte: not a text file");
    }
    std::string copy(text);
    try {
        check_single_document(copy);
        return YAML::Load(copy);
    } catch (const YAML::Exception& e) {
        SourceMark at = end_of_text(mark(e.mark));
        std::string raw = at.line > 0 ? m_lines[static_cast<std::size_t>(at.line - 1)] : "";
        std::size_t indent_end = raw.find_first_not_of(" \t");
        bool tab_indent = raw.substr(0, indent_end).find('\t') != std::string::npos;
        fail(at, "",
             "invalid YAML: " + e.msg +
                 (tab_indent ? " (YAML does not allow tabs for indentation)" : ""));
    }
}

void Source::check_single_document(const std::string& text) const {
    // Not YAML::LoadAll: yaml-cpp 0.7 loops forever, allocating, on input its parser cannot
    // consume (a stray ',' at the top level: found by fuzz_config). Two passes at most.
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    for (int handled = 0; handled < 2 && parser.HandleNextDocument(starts); ++handled) {
    }
    if (starts.marks.size() < 2) {
        return;
    }
    const YAML::Mark& second = starts.marks[1];
    if (second.pos == starts.marks[0].pos) {
        std::size_t pos = static_cast<std::size_t>(std::max(second.pos, 0));
        std::string found = pos < text.size() ? "`" + text.substr(pos, 1) + "`" : "text";
        fail(mark(second), "", "invalid YAML: unexpected " + found);
    }
    fail(mark(second), "", "expected one YAML document, found more (remove the `---` separator)");
}

}  // namespace stagehand::core::yaml
