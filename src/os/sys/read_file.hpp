#pragma once
// Reading small kernel-generated files (/proc, /sys/fs/cgroup). These report st_size 0, so
// they are read until EOF rather than by size.

#include <cstddef>
#include <string>

#include "util/result.hpp"

namespace stagehand::os {

// Reads the whole file at `path` (at most `limit` bytes; more is an error, E2BIG).
// Errors name the path and carry errno in Error::code (ENOENT when the file is absent, so
// callers can tell "not there" from "unreadable").
util::Result<std::string> read_text_file(const std::string& path, std::size_t limit = 1 << 20);

// True when `path` exists (any type). Never follows into an error: unreadable counts as absent.
bool path_exists(const std::string& path);

// True when `path` is a directory.
bool is_directory(const std::string& path);

}  // namespace stagehand::os
