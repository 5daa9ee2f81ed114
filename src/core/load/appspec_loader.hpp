#pragma once
// appspec.yml -> core::Appspec, checked the way the CodeDeploy agent checks it (CODEDEPLOY.md,
// "appspec.yml details that bite"), so a bundle stagehand accepts is one the agent accepts.

#include <string>
#include <string_view>

#include "core/model/appspec.hpp"
#include "core/model/diagnostic.hpp"

namespace stagehand::core {

// Parses `text` as the appspec at `path`. Throws InputError when: `version` is not the
// unquoted number 0.0; `os` is not linux; `file_exists_behavior` is not DISALLOW, OVERWRITE
// or RETAIN; a files entry lacks source or destination; a hook event is unknown (with a
// suggestion); a hook lacks `location`, or its timeout is not a whole number 1..3600.
Appspec load_appspec_text(std::string_view text, const std::string& path);

}  // namespace stagehand::core
