#include "core/load/config_loader.hpp"

#include <array>

#include "core/load/config_sections.hpp"
#include "core/load/units.hpp"

namespace stagehand::core {
namespace {

using yaml::Choice;
using yaml::Field;

constexpr std::array<Choice<ComposeCommand>, 3> k_commands{{
    {"auto", ComposeCommand::auto_detect},
    {"docker compose", ComposeCommand::v2},
    {"docker-compose", ComposeCommand::v1},
}};
constexpr std::array<Choice<PullPolicy>, 3> k_policies{{
    {"always", PullPolicy::always},
    {"missing", PullPolicy::missing},
    {"never", PullPolicy::never},
}};

constexpr std::array<Choice<PinMode>, 2> k_pin_modes{{
    {"rollback", PinMode::rollback},
    {"never", PinMode::never},
}};

bool is_project_name(const std::string& name) {
    // docker compose: lowercase letters, digits, '-' and '_', starting with a letter or digit.
    auto ok = [](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               (!first && (c == '-' || c == '_'));
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!ok(name[i], i == 0)) {
            return false;
        }
    }
    return !name.empty();
}

// A bundle-relative file: no leading '/', no "..", "." components and extra '/' dropped.
std::string relative_path(const Field& field) {
    std::string text = field.string();
    if (text.front() == '/') {
        field.fail("expected a path relative to the bundle root, got the absolute path " +
                   yaml::describe_found(field.node()));
    }
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = std::min(text.find('/', start), text.size());
        std::string part = text.substr(start, end - start);
        if (part == "..") {
            field.fail("a bundle-relative path cannot leave the bundle (\"..\"), got " +
                       yaml::describe_found(field.node()));
        }
        if (!part.empty() && part != ".") {
            out += (out.empty() ? "" : "/") + part;
        }
        start = end + 1;
    }
    if (out.empty() || text.find('\0') != std::string::npos) {
        field.fail("expected a file inside the bundle, got " + yaml::describe_found(field.node()));
    }
    return out;
}

// A user or group name (or numeric id) as chown takes it.
std::string account_name(const Field& field) {
    std::string text = field.string();
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= ' ' || c == ':' || c == '/' || u == 0x7f) {
            field.fail("expected a user or group name, got " + yaml::describe_found(field.node()));
        }
    }
    return text;
}

// YAML 1.1 reads a plain 0644 as octal and 644 as decimal; compose and people disagree on
// which applies, so a plain number is only accepted when its leading 0 makes it unambiguous.
unsigned file_mode(const Field& field) {
    std::string text = field.scalar("an octal mode like \"0644\"");
    if (!field.is_quoted() && (text.size() < 2 || text.front() != '0')) {
        field.fail("ambiguous mode " + text + ": write it as a quoted octal string, mode: \"0" +
                   text + "\"");
    }
    auto mode = parse_mode(text);
    if (!mode) {
        field.fail(mode.error().message);
    }
    return *mode;
}

StageFile read_stage_file(const Field& item) {
    auto map = item.map({"source", "destination", "mode", "owner", "group"});
    StageFile file;
    file.mark = item.mark();
    file.source = relative_path(map.require("source"));
    Field destination = map.require("destination");
    file.destination = destination.absolute_path();
    if (file.destination == "/") {
        destination.fail("expected a file path, got \"/\"");
    }
    if (auto mode = map.get("mode")) {
        file.mode = file_mode(*mode);
    }
    if (auto owner = map.get("owner")) {
        file.owner = account_name(*owner);
        file.owner_mark = owner->mark();
    }
    if (auto group = map.get("group")) {
        file.group = account_name(*group);
        file.group_mark = group->mark();
    }
    return file;
}

}  // namespace

namespace load {

void read_compose_section(const Field& field, ComposeConfig& out) {
    auto map = field.map({"file", "project", "command"});
    if (auto file = map.get("file")) {
        out.file = file->string();
        out.file_mark = file->mark();
    }
    if (auto project = map.get("project")) {
        std::string name = project->string();
        if (!is_project_name(name)) {
            project->fail(
                "expected a compose project name (lowercase letters, digits, '-' and "
                "'_', starting with a letter or digit), got " +
                yaml::describe_found(project->node()));
        }
        out.project = name;
    }
    if (auto command = map.get("command")) {
        out.command = command->choice<ComposeCommand>(k_commands);
    }
}

void read_stage_section(const Field& field, StageConfig& out) {
    auto map = field.map({"stop", "clean", "files", "backups", "prune_images"});
    if (auto stop = map.get("stop")) {
        out.stop = stop->boolean();
    }
    if (auto clean = map.get("clean")) {
        for (const auto& item : clean->list()) {
            out.clean.push_back(item.absolute_path());
            out.clean_marks.push_back(item.mark());
        }
    }
    if (auto files = map.get("files")) {
        for (const auto& item : files->list()) {
            out.files.push_back(read_stage_file(item));
        }
    }
    if (auto backups = map.get("backups")) {
        out.backups = static_cast<int>(backups->integer(0, 1000));
    }
    if (auto prune = map.get("prune_images")) {
        out.prune_images = prune->boolean();
    }
}

void read_pull_section(const Field& field, PullConfig& out) {
    auto map = field.map({"policy", "parallel", "retries", "timeout", "pin", "keep"});
    if (auto policy = map.get("policy")) {
        out.policy = policy->choice<PullPolicy>(k_policies);
    }
    if (auto parallel = map.get("parallel")) {
        out.parallel = static_cast<int>(parallel->integer(1, 64));
    }
    if (auto retries = map.get("retries")) {
        out.retries = static_cast<int>(retries->integer(0, 100));
    }
    if (auto timeout = map.get("timeout")) {
        out.timeout = timeout->duration(Millis{1});
    }
    if (auto pin = map.get("pin")) {
        out.pin = pin->choice<PinMode>(k_pin_modes);
    }
    if (auto keep = map.get("keep")) {
        out.keep = static_cast<int>(keep->integer(1, 100));
    }
}

}  // namespace load

Config load_config_text(std::string_view text, const std::string& file_name) {
    yaml::Source source(text, file_name);
    YAML::Node root = source.parse(text);
    Field top_field(source, root, "", source.mark(root.Mark()));
    auto top = top_field.map({"version", "compose", "state_dir", "log_dir", "lock_timeout", "stage",
                              "pull", "startup", "validate"});
    Config config;
    config.path = file_name;
    config.source_text = std::string(text);
    Field version = top.require("version");
    if (version.scalar("the number 1") != "1") {
        version.fail("expected 1 (the only version of this format), got " +
                     yaml::describe_found(version.node()));
    }
    if (auto compose = top.get("compose")) {
        load::read_compose_section(*compose, config.compose);
    }
    if (auto state_dir = top.get("state_dir")) {
        config.state_dir = state_dir->absolute_path();
    }
    if (auto log_dir = top.get("log_dir")) {
        config.log_dir = log_dir->absolute_path();
    }
    if (auto lock_timeout = top.get("lock_timeout")) {
        config.lock_timeout = lock_timeout->duration(Millis{0});
    }
    if (auto stage = top.get("stage")) {
        load::read_stage_section(*stage, config.stage);
    }
    if (auto pull = top.get("pull")) {
        load::read_pull_section(*pull, config.pull);
    }
    if (auto startup = top.get("startup")) {
        load::read_startup_section(*startup, config.startup);
    }
    if (auto validate = top.get("validate")) {
        load::read_validate_section(*validate, config.validate);
    }
    return config;
}

}  // namespace stagehand::core
