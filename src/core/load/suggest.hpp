#pragma once
// "did you mean `timeout`?" for unknown keys, enum values and service names.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagehand::core {

// Edit distance: insert, delete, substitute and swap two adjacent characters each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible typo: at most a
// third of the word's length away (at least 1, at most 3 edits), or a case-only difference.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// "; did you mean `x`?" or "" when nothing is close.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace stagehand::core
