#pragma once
// A Log that drops every event, for tests that do not look at the log.

#include <string_view>

#include "util/log.hpp"

namespace stagehand::testing {

class NullLog final : public util::Log {
  public:
    void event(util::Level, std::string_view, std::string_view) override {}
    void progress(std::string_view, std::string_view, std::string_view) override {}
};

}  // namespace stagehand::testing
