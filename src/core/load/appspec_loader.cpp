#include "core/load/appspec_loader.hpp"

#include <algorithm>

#include "core/load/suggest.hpp"
#include "core/load/yaml_access.hpp"

namespace stagehand::core {
namespace {

using yaml::Field;

std::vector<std::string> hook_events() {
    return {"ApplicationStop",   "BeforeInstall",      "AfterInstall",
            "ApplicationStart",  "ValidateService",    "BeforeBlockTraffic",
            "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"};
}

// The agent reads the version as a YAML float and compares it with 0.0: a quoted "0.0" is a
// string and fails there (error code 5 at deploy time), so it fails here first.
void check_version(const Field& version) {
    std::string text = version.scalar("the number 0.0");
    if (version.is_quoted()) {
        version.fail("expected the unquoted number 0.0, got the string \"" + text +
                     "\" (the CodeDeploy agent rejects a quoted version)");
    }
    bool zero = text.size() >= 3 && text.rfind("0.", 0) == 0 &&
                std::all_of(text.begin() + 2, text.end(), [](char c) { return c == '0'; });
    if (!zero) {
        version.fail("expected 0.0 (the only appspec version), got " + text);
    }
}

AppspecHook read_hook(const Field& item) {
    auto map = item.map({"location", "timeout", "runas"});
    AppspecHook hook;
    hook.mark = item.mark();
    hook.location = map.require("location").string();
    if (auto timeout = map.get("timeout")) {
        if (timeout->is_quoted()) {
            timeout->fail("expected a whole number of seconds (unquoted), got \"" +
                          timeout->scalar("a number") + "\"");
        }
        hook.timeout_seconds = static_cast<int>(timeout->integer(1, 3600));
    }
    if (auto runas = map.get("runas")) {
        hook.runas = runas->string();
    }
    return hook;
}

void read_hooks(const Field& field, Appspec& appspec) {
    const auto events = hook_events();
    const auto map = field.map({});
    for (const auto& entry : map.entries()) {
        if (std::find(events.begin(), events.end(), entry.name) == events.end()) {
            std::string why = entry.name == "DownloadBundle" || entry.name == "Install"
                                  ? "; it belongs to the agent and takes no scripts"
                                  : did_you_mean(entry.name, events);
            field.source().fail(entry.key_mark, entry.value.key(),
                                "unknown lifecycle event `" + entry.name + "`" + why);
        }
        auto& hooks = appspec.hooks[entry.name];
        for (const auto& item : entry.value.list()) {
            hooks.push_back(read_hook(item));
        }
    }
}

void read_files(const Field& field, Appspec& appspec) {
    for (const auto& item : field.list()) {
        auto map = item.map({"source", "destination"});
        AppspecFile file;
        file.source = map.require("source").string();
        file.destination = map.require("destination").absolute_path();
        appspec.files.push_back(file);
    }
}

}  // namespace

Appspec load_appspec_text(std::string_view text, const std::string& path) {
    yaml::Source source(text, path);
    YAML::Node root = source.parse(text);
    Field root_field(source, root, "", source.mark(root.Mark()));
    auto top =
        root_field.map({"version", "os", "files", "permissions", "hooks", "file_exists_behavior"});
    Appspec appspec;
    appspec.path = path;
    check_version(top.require("version"));
    Field os = top.require("os");
    appspec.os = os.scalar("linux");
    if (appspec.os != "linux") {
        os.fail("expected linux (lowercase; stagehand runs on Linux only), got " +
                yaml::describe_found(os.node()));
    }
    if (auto behavior = top.get("file_exists_behavior")) {
        appspec.file_exists_behavior = behavior->scalar("one of DISALLOW, OVERWRITE, RETAIN");
        const std::vector<std::string> allowed{"DISALLOW", "OVERWRITE", "RETAIN"};
        if (std::find(allowed.begin(), allowed.end(), appspec.file_exists_behavior) ==
            allowed.end()) {
            behavior->fail("expected one of DISALLOW, OVERWRITE, RETAIN, got " +
                           yaml::describe_found(behavior->node()) +
                           did_you_mean(appspec.file_exists_behavior, allowed));
        }
    }
    if (auto files = top.get("files")) {
        read_files(*files, appspec);
    }
    if (auto hooks = top.get("hooks")) {
        read_hooks(*hooks, appspec);
    }
    return appspec;
}

}  // namespace stagehand::core
