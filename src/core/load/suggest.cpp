#include "core/load/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace stagehand::core {
namespace {

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Levenshtein plus adjacent transpositions ("optimal string alignment"): "kafak" is one
    // typo away from "kafka", not two. Three rows of the table: O(|a|*|b|) time.
    std::vector<std::size_t> before(b.size() + 1);
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        previous[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                current[j] = std::min(current[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
    // Long garbage words are not typos; skip the quadratic work on them (fuzz input).
    if (word.empty() || word.size() > 256) {
        return std::nullopt;
    }
    const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
    const std::string word_lower = lowered(word);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        if (candidate.size() > 256) {
            continue;
        }
        std::size_t d = lowered(candidate) == word_lower ? 0 : edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    auto match = closest_match(word, candidates);
    return match ? "; did you mean `" + *match + "`?" : "";
}

}  // namespace stagehand::core
