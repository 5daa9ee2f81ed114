#pragma once
// Checks of stagehand.yml that need the compose file: every service it names exists, and an
// explicit start order respects depends_on. Errors point at the stagehand.yml line.

#include "core/model/compose.hpp"
#include "core/model/config.hpp"
#include "core/model/diagnostic.hpp"

namespace stagehand::core {

// Throws InputError (at the offending stagehand.yml entry, with the closest service name as
// a suggestion) for: an unknown service in startup.services, startup.per_service or
// validate.checks[].service; a service listed twice in startup.services; and, with an
// explicit startup.services list, a service whose depends_on target is not listed before it
// (the sequence never starts dependencies behind the gate's back, SPEC section 5).
void check_config_against_compose(const Config& config, const ComposeFile& compose);

// A Diagnostic at `at` in the config file, with the source line taken from
// config.source_text (for errors found after loading, e.g. by the planner).
Diagnostic config_diagnostic(const Config& config, const SourceMark& at, std::string key,
                             std::string message);

}  // namespace stagehand::core
