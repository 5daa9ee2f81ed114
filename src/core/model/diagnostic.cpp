#include "core/model/diagnostic.hpp"

#include <algorithm>

#include "util/sanitize.hpp"

namespace stagehand::core {

namespace {

// Every part of a diagnostic may hold input bytes (a service key with a newline, a binary
// line of the config): each is made one printable line here, the one place all input errors
// are formatted, so none can forge a line or break UTF-8 (issue 13).
constexpr std::size_t k_part_bytes = 300;

// Code points in valid UTF-8 `text`: the caret's column under the sanitised source line.
std::size_t code_points(const std::string& text) {
    std::size_t count = 0;
    for (const char c : text) {
        count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    return count;
}

}  // namespace

std::string Diagnostic::format() const {
    std::string out;
    if (!at.file.empty()) {
        out += util::sanitize_line(at.file, k_part_bytes);
        if (at.line > 0) {
            out += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
        }
        out += ": ";
    }
    out += "error: ";
    if (!key.empty()) {
        out += util::sanitize_line(key, k_part_bytes) + ": ";
    }
    out += util::sanitize_line(message, 2 * k_part_bytes);
    if (!source_line.empty() && at.line > 0) {
        const auto before = static_cast<std::size_t>(at.column > 0 ? at.column - 1 : 0);
        const std::string shown = util::sanitize_line(source_line, k_part_bytes);
        out += "\n    " + shown + "\n    ";
        const std::size_t caret =
            code_points(util::sanitize_line(source_line.substr(0, before), k_part_bytes));
        out += std::string(std::min(caret, code_points(shown)), ' ');
        out += "^";
    }
    return out;
}

InputError::InputError(Diagnostic diagnostic)
    : std::runtime_error(diagnostic.format()), m_diagnostic(std::move(diagnostic)) {}

}  // namespace stagehand::core
