#include "core/model/diagnostic.hpp"

namespace stagehand::core {

std::string Diagnostic::format() const {
    std::string out;
    if (!at.file.empty()) {
        out += at.file;
        if (at.line > 0) {
            out += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
        }
        out += ": ";
    }
    out += "error: ";
    if (!key.empty()) {
        out += key + ": ";
    }
    out += message;
    if (!source_line.empty() && at.line > 0) {
        out += "\n    " + source_line + "\n    ";
        out += std::string(static_cast<std::size_t>(at.column > 0 ? at.column - 1 : 0), ' ');
        out += "^";
    }
    return out;
}

InputError::InputError(Diagnostic diagnostic)
    : std::runtime_error(diagnostic.format()), m_diagnostic(std::move(diagnostic)) {}

}  // namespace stagehand::core
