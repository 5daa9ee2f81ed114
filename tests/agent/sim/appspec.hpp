#pragma once
// appspec.yml as the agent reads it (application_specification.rb, script_info.rb,
// file_info.rb v1.8): the checks it makes, with its error messages. Psych (YAML 1.1) typing is
// mirrored where it matters: `version` must be an unquoted number equal to 0, `os` exactly
// "linux", a `timeout` goes through Ruby's to_i ("600s" is 600, "ten" is 0 and rejected).

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace stagehand::agent {

struct ScriptEntry {
    std::string location;  // stripped, relative to the bundle root
    int timeout_s = 3600;
    std::optional<std::string> runas;
    bool sudo = false;
};

struct FileEntry {
    std::string source;
    std::string destination;
};

struct Appspec {
    std::map<std::string, std::vector<ScriptEntry>> hooks;  // by lifecycle event
    std::vector<FileEntry> files;
    // Raw top-level value; the Install step validates it (as the agent's installer does).
    std::optional<std::string> file_exists_behavior;
};

// Parses appspec text. Error: the agent's AppSpecValidationException message (or the YAML
// parser's, for malformed YAML).
util::Result<Appspec> parse_appspec(const std::string& text);

// Reads <archive>/appspec.yml (else appspec.yaml) and parses it. Error: missing file (the
// agent's long "did not find an AppSpec file" message) or parse_appspec's errors.
util::Result<Appspec> load_appspec(const std::filesystem::path& archive_dir);

// Ruby's String#to_i: optional whitespace and sign, then digits (underscores between digits);
// 0 when there are none. Saturates at the int range.
long long ruby_to_i(const std::string& text);

}  // namespace stagehand::agent
