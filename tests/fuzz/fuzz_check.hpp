#pragma once
// Shared by the fuzz targets: what every InputError must satisfy.

#include <cstdlib>

#include "core/model/diagnostic.hpp"

namespace stagehand::fuzz {

// A Diagnostic always says something and never points before the start of the file; the
// formatted text (what the user sees) must build without trouble.
inline void check_diagnostic(const core::Diagnostic& d) {
    if (d.message.empty() || d.at.line < 0 || d.at.column < 0 ||
        (d.at.line > 0 && d.at.column == 0)) {
        std::abort();
    }
    if (d.format().empty()) {
        std::abort();
    }
}

}  // namespace stagehand::fuzz
