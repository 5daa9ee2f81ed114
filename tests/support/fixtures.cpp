#include "support/fixtures.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace stagehand::testing {

std::string fixture(const std::string& relative) {
    const std::string path = std::string(STAGEHAND_FIXTURES) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "cannot read the fixture " << path;
        return {};
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace stagehand::testing
