#pragma once
// Small text helpers shared by the validate step's loop and its summary.

#include <string>

#include "core/model/types.hpp"

namespace stagehand::steps {

// "0.4s", "4.0s", "59.9s" below a minute; "1m", "2m30s" from a minute on (whole seconds).
std::string short_duration(core::Millis duration);

}  // namespace stagehand::steps
