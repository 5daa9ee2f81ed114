#pragma once
// Error helpers for codedeploy-sim. (The sim uses util::Result from src/util as a header only,
// so it never links stagehand_core and builds while the product code is in flux.)

#include <cstring>
#include <string>

#include "util/result.hpp"

namespace stagehand::agent {

// "<what>: <strerror(err)>", code err.
inline util::Error errno_failure(const std::string& what, int err) {
    return util::Error{what + ": " + std::strerror(err), err};
}

}  // namespace stagehand::agent
