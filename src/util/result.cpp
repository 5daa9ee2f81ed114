#include "util/result.hpp"

#include <cstring>

namespace stagehand::util {

Error errno_error(const std::string& what, int err) {
    return Error{what + ": " + std::strerror(err), err};
}

}  // namespace stagehand::util
