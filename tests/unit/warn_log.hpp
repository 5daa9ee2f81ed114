#pragma once
// A util::Log that keeps the warnings, for tests that assert a damaged state file or a
// failed cleanup is named in one.

#include <string>
#include <string_view>
#include <vector>

#include "util/log.hpp"

namespace stagehand::test {

class WarnLog final : public util::Log {
  public:
    void event(util::Level level, std::string_view, std::string_view message) override {
        if (level == util::Level::warn) {
            warnings.emplace_back(message);
        }
    }
    void progress(std::string_view, std::string_view, std::string_view) override {}
    std::vector<std::string> warnings;
};

}  // namespace stagehand::test
