#include "support/bundle.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace stagehand::integration {

namespace {

const char* const k_hooks[][2] = {{"BeforeInstall", "before-install"},
                                  {"AfterInstall", "after-install"},
                                  {"ValidateService", "validate-service"}};

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush()) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

std::string quoted(const std::string& text) {
    return "\"" + text + "\"";
}

std::string flow_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& item : items) {
        out += (out.size() > 1 ? ", " : "") + quoted(item);
    }
    return out + "]";
}

std::string appspec_yaml(const StackSpec& stack) {
    std::string text = "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: " +
                       stack.install_dir.string() + "\nhooks:\n";
    for (const auto& hook : k_hooks) {
        text += std::string("  ") + hook[0] + ":\n    - location: " + stack.hook_location +
                hook[1] + "\n      timeout: " + std::to_string(stack.timeouts.at(hook[0])) +
                "\n      runas: root\n";
    }
    return text;
}

std::string service_yaml(const ServiceSpec& service) {
    std::vector<std::string> command{"--name", service.name};
    if (service.port != 0) {
        command.insert(command.end(), {"--port", std::to_string(service.port)});
    }
    command.insert(command.end(), service.args.begin(), service.args.end());
    std::string text = "  " + service.name + ":\n    image: " + service.image +
                       "\n    network_mode: host\n    restart: " + quoted(service.restart) +
                       "\n    stop_grace_period: " + service.stop_grace_period +
                       "\n    command: " + flow_list(command) + "\n";
    if (!service.depends_on.empty()) {
        text += "    depends_on: " + flow_list(service.depends_on) + "\n";
    }
    for (const auto& line : service.compose_extra) {
        text += "    " + line + "\n";
    }
    return text;
}

std::string ready_probe(const ServiceSpec& service) {
    if (!service.ready.empty()) {
        return service.ready;
    }
    if (service.port != 0) {
        return "{ tcp: \"" + service.name + ":" + std::to_string(service.port) + "\" }";
    }
    return "{ log: \"" + service.name + " ready in\" }";
}

// stage: keys other than `clean`, only those the stack sets.
std::string stage_yaml(const StackSpec& stack) {
    std::string text = stack.stage_stop ? "  stop: true\n" : "";
    if (!stack.staged_files.empty()) {
        text += "  backups: " + std::to_string(stack.backups) + "\n  files:\n";
    }
    for (const auto& file : stack.staged_files) {
        text += "    - source: " + file.source +
                "\n      destination: " + file.destination.string() + "\n";
        if (!file.mode.empty()) {
            text += "      mode: " + quoted(file.mode) + "\n";
        }
    }
    return text;
}

}  // namespace

std::string standin_image(const std::string& repository, const std::string& tag,
                          const std::string& registry) {
    std::string address = registry;
    if (address.empty()) {
        const char* env = std::getenv("STAGEHAND_TEST_REGISTRY");
        address = env != nullptr && *env != '\0' ? env : "127.0.0.1:5000";
    }
    return address + "/randhand/" + repository + ":" + tag;
}

ServiceSpec service(std::string name, std::string image, int port, std::vector<std::string> args) {
    ServiceSpec spec;
    spec.name = std::move(name);
    spec.image = std::move(image);
    spec.port = port;
    spec.args = std::move(args);
    return spec;
}

std::string compose_yaml(const StackSpec& stack) {
    std::string text =
        "# written by tests/integration for project " + stack.project + "\nservices:\n";
    for (const auto& service : stack.services) {
        text += service_yaml(service);
    }
    return text;
}

std::string stagehand_yaml(const StackSpec& stack) {
    std::string text =
        "version: 1\ncompose:\n  file: docker-compose.yml\n  project: " + stack.project +
        "\n  command: " + quoted(stack.compose_command) +
        "\nstate_dir: " + stack.state_dir.string() + "\nlog_dir: " + stack.log_dir.string() +
        "\nlock_timeout: " + stack.lock_timeout + "\nstage:\n  clean: [" +
        stack.install_dir.string() + "]\n" + stage_yaml(stack) + "pull:\n" +
        (stack.pull_pin.empty() ? "" : "  pin: " + stack.pull_pin + "\n") +
        "  retries: " + std::to_string(stack.pull_retries) +
        "\n  timeout: 60s\nstartup:\n  gate: adaptive\n  settle: 500ms\n"
        "  poll: 200ms\n  timeout: " +
        stack.startup_timeout + "\n  per_service:\n";
    for (const auto& service : stack.services) {
        if (!service.inferred) {
            text += "    " + service.name + ":\n      ready: " + ready_probe(service) + "\n";
        }
    }
    text += "validate:\n  timeout: " + stack.validate_timeout +
            "\n  interval: 500ms\n  stable: " + stack.validate_stable + "\n";
    if (!stack.validate_checks.empty()) {
        text += "  checks:\n";
        for (const auto& check : stack.validate_checks) {
            text += "    - " + check + "\n";
        }
    }
    return text;
}

fs::path write_bundle(const fs::path& dir, const StackSpec& stack, const HookBinaries& hooks) {
    fs::create_directories(dir / "hooks");
    write_text(dir / "appspec.yml", appspec_yaml(stack));
    write_text(dir / "docker-compose.yml", compose_yaml(stack));
    write_text(dir / "stagehand.yml", stagehand_yaml(stack));
    // What CodeDeploy installs (appspec `files`): a small payload, not the hooks, so the
    // agent's copy stays fast.
    write_text(dir / "app" / "revision.txt", stack.project + "\n");
    for (const auto& file : stack.staged_files) {
        write_text(dir / file.source, file.content);
        fs::permissions(dir / file.source, fs::perms(0644));
    }
    for (const auto& hook : k_hooks) {
        // A hard link when possible: the executables are large and every bundle needs them.
        std::error_code ec;
        fs::create_hard_link(hooks.dir / hook[1], dir / "hooks" / hook[1], ec);
        if (ec) {
            fs::copy_file(hooks.dir / hook[1], dir / "hooks" / hook[1],
                          fs::copy_options::overwrite_existing);
        }
        fs::permissions(dir / "hooks" / hook[1], fs::perms(0755));
    }
    // The config and the staged sources must not be writable by others (SPEC section 6).
    fs::permissions(dir, fs::perms(0755));
    return dir;
}

}  // namespace stagehand::integration
