#pragma once
// The simulator owns its descriptors with stagehand's own RAII owner (src/os/sys): closed on
// destruction, movable, not copyable.

#include "os/sys/unique_fd.hpp"

namespace stagehand::agent {

using os::UniqueFd;

}  // namespace stagehand::agent
