#pragma once
// stagehand.yml (SPEC section 3) -> core::Config. Every key is checked for type and range;
// the first problem throws InputError with file, line, column, dotted key, what was expected
// and what was found, and for an unknown key the closest valid one. Absent keys keep the
// defaults of core::Config; bad values are never replaced by them.

#include <string>
#include <string_view>

#include "core/model/config.hpp"
#include "core/model/diagnostic.hpp"

namespace stagehand::core {

// Parses `text` as the contents of `file_name` (used in marks and messages only).
// Throws InputError.
Config load_config_text(std::string_view text, const std::string& file_name);

}  // namespace stagehand::core
