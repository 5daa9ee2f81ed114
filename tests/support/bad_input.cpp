#include "support/bad_input.hpp"

#include <gtest/gtest.h>

namespace stagehand::testing {

core::Diagnostic diagnostic_of(const std::function<void()>& load, std::string_view input) {
    try {
        load();
    } catch (const core::InputError& e) {
        return e.diagnostic();
    }
    ADD_FAILURE() << "loaded without error:\n" << input;
    return {};
}

void expect_diagnostic(const core::Diagnostic& d, const BadInputRow& row, const std::string& file) {
    EXPECT_EQ(d.at.file, file);
    EXPECT_EQ(d.at.line, row.line);
    if (row.column != 0) {
        EXPECT_EQ(d.at.column, row.column);
    }
    EXPECT_EQ(d.key, row.key);
    EXPECT_NE(d.message.find(row.message_part), std::string::npos) << d.message;
}

}  // namespace stagehand::testing
