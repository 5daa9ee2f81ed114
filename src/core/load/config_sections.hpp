#pragma once
// Internal to the config loader: one reader per section of stagehand.yml.

#include "core/load/yaml_access.hpp"
#include "core/model/config.hpp"

namespace stagehand::core::load {

void read_compose_section(const yaml::Field& field, ComposeConfig& out);
void read_stage_section(const yaml::Field& field, StageConfig& out);
void read_pull_section(const yaml::Field& field, PullConfig& out);
void read_startup_section(const yaml::Field& field, StartupConfig& out);
void read_validate_section(const yaml::Field& field, ValidateConfig& out);

}  // namespace stagehand::core::load
