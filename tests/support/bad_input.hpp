#pragma once
// Bad input and the diagnostic it must give (SPEC section 2, Invalid input): one row type and
// one check for the loaders' table-driven suites (stagehand.yml, compose, appspec, the
// cross-check).

#include <functional>
#include <string>
#include <string_view>

#include "core/model/diagnostic.hpp"

namespace stagehand::testing {

// One class of bad input.
struct BadInputRow {
    const char* name;
    const char* yaml;
    int line;
    int column;  // 0: not checked
    const char* key;
    const char* message_part;  // the message contains this
};

// The Diagnostic of the InputError `load` throws; a test failure naming `input`, and an empty
// Diagnostic, when it throws none.
core::Diagnostic diagnostic_of(const std::function<void()>& load, std::string_view input);

// Expects `d` in `file` at the row's line (and column), for the row's key, with the row's
// message part.
void expect_diagnostic(const core::Diagnostic& d, const BadInputRow& row, const std::string& file);

}  // namespace stagehand::testing
