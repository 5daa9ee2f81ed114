#pragma once
// Small text helpers shared by every layer (pure).

#include <string>
#include <string_view>
#include <vector>

namespace stagehand::util {

// The items with `separator` between each two: ({"a", "b"}, ", ") -> "a, b"; "" for none.
std::string join(const std::vector<std::string>& items, std::string_view separator);

// Up to the first newline: a multi-line diagnostic's headline ("a.yml:3:5: error: ...").
std::string first_line(std::string_view text);

}  // namespace stagehand::util
