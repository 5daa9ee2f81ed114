#pragma once
// Reading the three input files (stagehand.yml, the compose file, appspec.yml) from disk and
// handing their text to core's loaders, which do no I/O (ARCHITECTURE.md).

#include <cstddef>
#include <string>

#include "core/model/appspec.hpp"
#include "core/model/compose.hpp"
#include "core/model/config.hpp"

namespace stagehand::runtime {

// Inputs larger than this are refused: none of ours comes close; a wrong path might.
constexpr std::size_t k_max_input_size = 4 * 1024 * 1024;

// The whole file through os::read_text_file; a failure throws core::InputError for `path`
// (no line): "docker-compose.yml: error: cannot read the file: No such file or directory".
std::string read_input_file(const std::string& path);

// read_input_file + core::load_config_text / load_appspec_text, named by `path`.
core::Config load_config_file(const std::string& path);
core::Appspec load_appspec_file(const std::string& path);

// The same for the compose file, named by its absolute, normalised path (the project name
// and relative build contexts are derived from it).
core::ComposeFile load_compose_file(const std::string& path);

}  // namespace stagehand::runtime
