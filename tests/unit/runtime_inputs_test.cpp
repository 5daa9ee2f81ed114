// What a hook reads before it changes anything: errors in it point at the line of
// stagehand.yml that caused them (issue 13.14).
#include "runtime/inputs.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/load/config_loader.hpp"
#include "core/model/diagnostic.hpp"
#include "docker_test_support.hpp"
#include "runtime/input_files.hpp"

namespace stagehand::runtime {
namespace {

struct Dir {
    os::testing_support::TempDir temp;
    std::string path = temp.path.string();
};

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

core::Diagnostic load_error(const Options& options) {
    try {
        load_inputs(options);
    } catch (const core::InputError& error) {
        return error.diagnostic();
    }
    ADD_FAILURE() << "load_inputs accepted the bundle";
    return {};
}

// `compose.file: nosuch.yml` named the missing file but not the stagehand.yml line naming it.
TEST(Inputs, MissingComposeFileNamesTheConfigLineThatNamedIt) {
    Dir dir;
    write(dir.path + "/stagehand.yml", "version: 1\ncompose:\n  file: nosuch.yml\n");
    Options options;
    options.bundle = dir.path;
    const auto diagnostic = load_error(options);
    EXPECT_EQ(diagnostic.at.file, dir.path + "/stagehand.yml");
    EXPECT_EQ(diagnostic.at.line, 3);
    EXPECT_EQ(diagnostic.at.column, 9);
    EXPECT_EQ(diagnostic.key, "compose.file");
    EXPECT_NE(diagnostic.message.find(dir.path + "/nosuch.yml"), std::string::npos)
        << diagnostic.message;
    EXPECT_EQ(diagnostic.source_line, "  file: nosuch.yml");
}

// A dry run reads the host without changing it: a cgroup folder that does not exist fails it
// with exit 2 (an InputError at the memory_source line) as it fails the real run.
TEST(Inputs, MemorySourceFolderThatDoesNotExistIsAnInputError) {
    Dir dir;
    const std::string path = dir.path + "/stagehand.yml";
    write(path, "version: 1\nstartup:\n  memory_source: cgroup:/sys/fs/cgroup/no-such-folder-13\n");
    const auto config = load_config_file(path);
    try {
        check_memory_source(config);
        ADD_FAILURE() << "accepted a cgroup folder that does not exist";
    } catch (const core::InputError& error) {
        const auto& diagnostic = error.diagnostic();
        EXPECT_EQ(diagnostic.at.file, path);
        EXPECT_EQ(diagnostic.at.line, 3);
        EXPECT_EQ(diagnostic.key, "startup.memory_source");
        EXPECT_NE(diagnostic.message.find("no-such-folder-13"), std::string::npos)
            << diagnostic.message;
    }
    write(path, "version: 1\nstartup:\n  memory_source: meminfo\n");
    EXPECT_NO_THROW(check_memory_source(load_config_file(path)));
}

}  // namespace
}  // namespace stagehand::runtime
