#pragma once
// An input error reported like a compiler does:
//   stagehand.yml:12:5: error: startup.gate: expected one of adaptive, sleep, none, got "fast"
//       gate: fast
//             ^
// Any Diagnostic means exit 2 with nothing changed.

#include <stdexcept>
#include <string>

#include "core/model/types.hpp"

namespace stagehand::core {

struct Diagnostic {
    SourceMark at;            // file, line, column (line 0: no position)
    std::string key;          // dotted path: "startup.per_service.kafka.need"
    std::string message;      // what was expected, what was found, and a suggestion
    std::string source_line;  // the offending line of the file, when known

    // "file:line:col: error: key: message" plus the source line and a caret.
    std::string format() const;
};

// Thrown by the loaders and the planner; caught once in the hook's main (exit 2).
class InputError : public std::runtime_error {
  public:
    explicit InputError(Diagnostic diagnostic);
    const Diagnostic& diagnostic() const { return m_diagnostic; }

  private:
    Diagnostic m_diagnostic;
};

}  // namespace stagehand::core
