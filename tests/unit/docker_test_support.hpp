#pragma once
// Shared by the two EngineDocker suites (docker_client_test.cpp without a daemon,
// docker_engine_test.cpp with the real one): deadlines, substring checks, a temp folder.

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "os/sys/clock.hpp"

namespace stagehand::os::testing_support {

inline MonoTime in(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A temp folder removed at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "sh-docker-XXXXXX").string();
        path = ::mkdtemp(templ.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace stagehand::os::testing_support
