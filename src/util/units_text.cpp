#include "util/units_text.hpp"

#include <cstdio>

namespace stagehand::util {

std::string format_mib(std::int64_t bytes) {
    constexpr std::int64_t k_mib = 1024 * 1024;
    return std::to_string((bytes + k_mib / 2) / k_mib) + " MiB";
}

std::string format_seconds(std::chrono::duration<double> duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", duration.count());
    return text;
}

}  // namespace stagehand::util
