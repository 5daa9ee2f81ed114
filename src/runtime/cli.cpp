#include "runtime/cli.hpp"

#include <functional>
#include <sstream>

#include "core/load/units.hpp"

namespace stagehand::runtime {

namespace {

// The option table: data, not a long switch. `value` options take the next argument or
// `--name=value`.
struct OptionSpec {
    const char* long_name;
    const char* short_name;  // "" when none
    const char* value_name;  // "" for flags
    const char* help;
    bool HookOptions::*gate;  // nullptr: every hook accepts it
    std::function<void(Options&, const std::string&)> apply;
};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        if (item.empty()) {
            throw UsageError("empty service name in list \"" + text + "\"");
        }
        items.push_back(item);
    }
    return items;
}

void set_boot_mode(Options& options, Options::BootMode mode) {
    if (options.boot != Options::BootMode::none && options.boot != mode) {
        throw UsageError("--boot, --boot-stop and --install-boot-unit cannot be combined");
    }
    options.boot = mode;
}

const std::vector<OptionSpec>& option_table() {
    static const std::vector<OptionSpec> table = {
        {"--bundle", "", "DIR", "bundle root (default: found from the executable's path)", nullptr,
         [](Options& o, const std::string& v) { o.bundle = v; }},
        {"--config", "", "FILE", "stagehand.yml to use (default: <bundle>/stagehand.yml)", nullptr,
         [](Options& o, const std::string& v) { o.config = v; }},
        {"--dry-run", "", "", "validate everything, print the plan, change nothing", nullptr,
         [](Options& o, const std::string&) { o.dry_run = true; }},
        {"--deadline", "", "DURATION", "overrides the deadline (e.g. 10m, 1m30s)", nullptr,
         [](Options& o, const std::string& v) {
             auto parsed = core::parse_duration(v);
             if (!parsed) {
                 throw UsageError("--deadline: " + parsed.error().message);
             }
             o.deadline = *parsed;
         }},
        {"--only", "", "SERVICE[,SERVICE...]", "act on these services only", &HookOptions::only,
         [](Options& o, const std::string& v) { o.only = split_list(v); }},
        {"--from", "", "SERVICE", "resume the start sequence at SERVICE", &HookOptions::from,
         [](Options& o, const std::string& v) { o.from = v; }},
        {"--svg", "", "FILE", "also render the deployment report as an SVG timeline",
         &HookOptions::svg, [](Options& o, const std::string& v) { o.svg = v; }},
        {"--boot", "", "", "start the last deployed stack through the gate (the boot unit)",
         &HookOptions::boot,
         [](Options& o, const std::string&) { set_boot_mode(o, Options::BootMode::boot); }},
        {"--boot-stop", "", "", "stop the recorded stacks in reverse start order (at shutdown)",
         &HookOptions::boot,
         [](Options& o, const std::string&) { set_boot_mode(o, Options::BootMode::boot_stop); }},
        {"--install-boot-unit", "", "",
         "copy this executable to /usr/local/lib/stagehand, install and enable the boot unit",
         &HookOptions::boot,
         [](Options& o, const std::string&) { set_boot_mode(o, Options::BootMode::install_unit); }},
        {"--state-dir", "", "DIR", "boot modes: state_dir (default /var/lib/stagehand)",
         &HookOptions::boot, [](Options& o, const std::string& v) { o.state_dir = v; }},
        {"--log-format", "", "text|json", "output format (default text)", nullptr,
         [](Options& o, const std::string& v) {
             if (v == "text") {
                 o.log_format = LogFormat::text;
             } else if (v == "json") {
                 o.log_format = LogFormat::json;
             } else {
                 throw UsageError("--log-format: expected text or json, got \"" + v + "\"");
             }
         }},
        {"--verbose", "-v", "", "more output", nullptr,
         [](Options& o, const std::string&) { ++o.verbosity; }},
        {"--quiet", "-q", "", "less output", nullptr,
         [](Options& o, const std::string&) { o.verbosity = -1; }},
        {"--help", "-h", "", "print this help and exit", nullptr,
         [](Options& o, const std::string&) { o.help = true; }},
        {"--version", "", "", "print the version and exit", nullptr,
         [](Options& o, const std::string&) { o.version = true; }},
    };
    return table;
}

const OptionSpec* find_option(const std::string& name, const HookOptions& accepted) {
    for (const auto& spec : option_table()) {
        if (name == spec.long_name || (spec.short_name[0] != '\0' && name == spec.short_name)) {
            if (spec.gate != nullptr && !(accepted.*spec.gate)) {
                return nullptr;
            }
            return &spec;
        }
    }
    return nullptr;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args, const HookOptions& accepted) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> value;
        if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const OptionSpec* spec = find_option(name, accepted);
        if (spec == nullptr) {
            throw UsageError(name.rfind('-', 0) == 0 ? "unknown option " + name
                                                     : "unexpected argument \"" + name + "\"");
        }
        const bool takes_value = spec->value_name[0] != '\0';
        if (takes_value && !value) {
            if (i + 1 >= args.size()) {
                throw UsageError(name + " needs a value (" + spec->value_name + ")");
            }
            value = args[++i];
        } else if (!takes_value && value) {
            throw UsageError(name + " takes no value");
        }
        spec->apply(options, value.value_or(""));
    }
    if (options.from && !options.only.empty()) {
        throw UsageError("--from and --only cannot be combined");
    }
    if (options.boot != Options::BootMode::none && (options.from || !options.only.empty())) {
        throw UsageError(
            "--only and --from cannot be combined with a boot mode (it acts on "
            "the whole recorded stack)");
    }
    if (options.state_dir && options.boot == Options::BootMode::none) {
        throw UsageError("--state-dir is for --boot, --boot-stop and --install-boot-unit");
    }
    return options;
}

std::string usage(const std::string& program, const HookOptions& accepted) {
    std::string text = "usage: " + program + " [options]\n\noptions:\n";
    for (const auto& spec : option_table()) {
        if (spec.gate != nullptr && !(accepted.*spec.gate)) {
            continue;
        }
        std::string left = std::string("  ") +
                           (spec.short_name[0] != '\0' ? std::string(spec.short_name) + ", " : "") +
                           spec.long_name + (spec.value_name[0] != '\0' ? " " : "") +
                           spec.value_name;
        left.resize(std::max<std::size_t>(left.size() + 2, 36), ' ');
        text += left + spec.help + "\n";
    }
    text +=
        "\nexit status: 0 success, 1 a step failed, 2 bad usage or invalid input (nothing "
        "changed),\n3 another run holds the lock, 124 deadline passed, 130/143 interrupted.\n";
    return text;
}

}  // namespace stagehand::runtime
