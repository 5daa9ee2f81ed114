// Placeholder main until the runtime lands.
#include <cstdio>
#include <cstring>

#include "stagehand/version.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("stagehand %s (%s, %s)\n", stagehand::k_version, stagehand::k_git_commit,
                    stagehand::k_build_type);
        return 0;
    }
    return 2;
}
