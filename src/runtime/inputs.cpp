#include "runtime/inputs.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/load/cross_check.hpp"
#include "core/model/diagnostic.hpp"
#include "os/memory/factory.hpp"
#include "runtime/input_files.hpp"

namespace stagehand::runtime {

namespace fs = std::filesystem;

namespace {

core::InputError input_error(const std::string& file, const std::string& key,
                             const std::string& message) {
    core::Diagnostic diagnostic;  // field by field: see selection_error in core/plan/plan.cpp
    diagnostic.at.file = file;
    diagnostic.key = key;
    diagnostic.message = message;
    return core::InputError(std::move(diagnostic));
}

std::string find_compose_file(const Inputs& inputs) {
    const auto& root = inputs.bundle.root;
    if (inputs.config.compose.file) {
        fs::path path(*inputs.config.compose.file);
        const std::string resolved =
            (path.is_absolute() ? path : fs::path(root) / path).lexically_normal().string();
        std::error_code ec;
        if (!fs::exists(resolved, ec)) {
            // Point at the stagehand.yml line that named it, not only at the missing file.
            throw core::InputError(core::config_diagnostic(
                inputs.config, inputs.config.compose.file_mark, "compose.file",
                "compose file " + resolved + " does not exist"));
        }
        return resolved;
    }
    for (const char* name :
         {"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"}) {
        const auto candidate = fs::path(root) / name;
        if (fs::exists(candidate)) {
            return candidate.string();
        }
    }
    throw input_error(root, "compose.file",
                      "no compose file in the bundle (looked for compose.yaml, compose.yml, "
                      "docker-compose.yaml, docker-compose.yml); set compose.file in "
                      "stagehand.yml");
}

void choose_project(Inputs& inputs) {
    if (inputs.config.compose.project) {
        inputs.project = *inputs.config.compose.project;
        inputs.project_source = "compose.project in stagehand.yml";
    } else if (inputs.compose.name) {
        inputs.project = *inputs.compose.name;
        inputs.project_source = "name in the compose file";
    } else if (const char* app = std::getenv("APPLICATION_NAME"); app != nullptr && *app) {
        inputs.project = normalise_project_name(app);
        inputs.project_source = "APPLICATION_NAME";
    } else {
        inputs.project =
            normalise_project_name(fs::path(inputs.compose.path).parent_path().filename());
        inputs.project_source = "the compose file's folder name";
    }
    if (inputs.project.empty()) {
        throw input_error(inputs.compose.path, "compose.project",
                          "cannot derive a compose project name; set compose.project");
    }
}

}  // namespace

void check_memory_source(const core::Config& config) {
    const auto& source = config.startup.memory_source;
    if (source.kind != core::MemorySourceKind::cgroup) {
        return;  // auto falls back to meminfo and says why; meminfo always exists
    }
    if (auto choice = os::detect_memory_source(source); !choice) {
        throw core::InputError(core::config_diagnostic(config, config.startup.memory_source_mark,
                                                       "startup.memory_source",
                                                       choice.error().message));
    }
}

std::string normalise_project_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_' ||
            lower == '-') {
            out += lower;
        }
    }
    return out;
}

Bundle locate_bundle(const Options& options) {
    Bundle bundle;
    std::error_code ec;
    const fs::path exe = fs::canonical("/proc/self/exe", ec);
    if (options.bundle) {
        bundle.root = fs::absolute(*options.bundle).lexically_normal().string();
    } else {
        for (auto dir = exe.parent_path(); !ec && !dir.empty(); dir = dir.parent_path()) {
            if (fs::exists(dir / "appspec.yml")) {
                bundle.root = dir.string();
                break;
            }
            if (dir == dir.root_path()) {
                break;
            }
        }
        if (bundle.root.empty()) {
            bundle.root = fs::current_path(ec).string();
        }
    }
    const auto relative = exe.lexically_relative(bundle.root);
    bundle.executable =
        !relative.empty() && *relative.begin() != ".." ? relative.string() : exe.string();
    if (bundle.root.size() > 1 && bundle.root.back() == '/') {
        bundle.root.pop_back();
    }
    return bundle;
}

Inputs load_inputs(const Options& options) {
    Inputs inputs;
    inputs.bundle = locate_bundle(options);
    if (!fs::is_directory(inputs.bundle.root)) {
        throw input_error(inputs.bundle.root, "--bundle", "bundle folder does not exist");
    }
    const std::string config_path = options.config ? fs::absolute(*options.config).string()
                                                   : inputs.bundle.root + "/stagehand.yml";
    if (fs::exists(config_path)) {
        inputs.config = load_config_file(config_path);
        inputs.config_found = true;
    } else if (options.config) {
        throw input_error(config_path, "--config", "file not found");
    }
    inputs.compose = load_compose_file(find_compose_file(inputs));
    core::check_config_against_compose(inputs.config, inputs.compose);
    const std::string appspec_path = inputs.bundle.root + "/appspec.yml";
    if (fs::exists(appspec_path)) {
        inputs.appspec = load_appspec_file(appspec_path);
    }
    choose_project(inputs);
    return inputs;
}

}  // namespace stagehand::runtime
