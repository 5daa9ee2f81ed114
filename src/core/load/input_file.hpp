#pragma once
// Reading an input file (stagehand.yml, the compose file, appspec.yml) whole.

#include <string>

#include "util/result.hpp"

namespace stagehand::core {

// Inputs larger than this are refused: none of ours comes close; a wrong path might.
constexpr std::size_t k_max_input_size = 4 * 1024 * 1024;

// The whole file as text, or "failed to read <path>: <cause>" (code: errno).
util::Result<std::string> read_text_file(const std::string& path);

// read_text_file, but a failure throws InputError for `path` (no line):
// "docker-compose.yml: error: cannot read the file: No such file or directory".
std::string read_input_file(const std::string& path);

}  // namespace stagehand::core
