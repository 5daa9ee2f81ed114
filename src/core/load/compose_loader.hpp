#pragma once
// docker-compose.yml -> core::ComposeFile: the services in file order with what stagehand
// needs (image, build, depends_on, healthcheck presence, memory settings). Keys stagehand does
// not read are allowed (compose has many); `x-*` extensions are ignored; YAML merge keys
// (`<<: *anchor`) are applied, which yaml-cpp 0.7 does not do.

#include <string>
#include <string_view>

#include "core/model/compose.hpp"
#include "core/model/diagnostic.hpp"

namespace stagehand::core {

// Parses `text` as the compose file at `path` (kept as given). Throws InputError on a YAML
// syntax error, no or empty `services`, a service with neither image nor build, a depends_on
// naming an unknown service, a dependency cycle ("a -> b -> a"), and bad sizes. Sizes that
// use ${VARIABLE} interpolation are left unset: their value depends on the environment.
ComposeFile load_compose_text(std::string_view text, const std::string& path);

}  // namespace stagehand::core
