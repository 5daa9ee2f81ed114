#include "core/load/compose_loader.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/load/compose_detail.hpp"
#include "core/load/compose_ports.hpp"
#include "core/load/units.hpp"

namespace stagehand::core {
namespace {

using yaml::Choice;
using yaml::Field;
using yaml::MapReader;

constexpr std::array<Choice<DependsCondition>, 3> k_conditions{{
    {"service_started", DependsCondition::service_started},
    {"service_healthy", DependsCondition::service_healthy},
    {"service_completed_successfully", DependsCondition::service_completed_successfully},
}};

bool is_service_name(const std::string& name) {
    // compose-spec: ^[a-zA-Z0-9._-]+$
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

// Docker references are printable ASCII (distribution/reference); compose interpolates
// `${VAR}` before Docker sees them, so `$`, `{`, `}` pass here. A control character or a
// non-ASCII byte would otherwise reach the manifest and the console (issue 13).
std::string read_image(const Field& field) {
    std::string image = field.string();
    const bool printable = std::all_of(image.begin(), image.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7F;
    });
    if (!printable) {
        field.fail("invalid image reference: only printable ASCII without spaces");
    }
    return image;
}

// mem_limit and friends, read as Docker does. "0" means no limit; "${VAR}" depends on the
// environment compose runs with, which is not ours to guess.
std::optional<Bytes> read_docker_size(const Field& field) {
    std::string text = field.scalar("a size like 512m or 1g");
    if (text.find('$') != std::string::npos) {
        return std::nullopt;
    }
    auto bytes = parse_docker_size(text);
    if (!bytes) {
        field.fail(bytes.error().message);
    }
    return *bytes == 0 ? std::nullopt : std::optional<Bytes>(*bytes);
}

// `mem_limit` and `deploy.resources.<section>.memory` mean the same thing; two different
// values are a mistake nobody should have to debug at 3 am.
std::optional<Bytes> pick_memory(const std::optional<Field>& direct,
                                 const std::optional<Field>& deploy) {
    std::optional<Bytes> a = direct ? read_docker_size(*direct) : std::nullopt;
    std::optional<Bytes> b = deploy ? read_docker_size(*deploy) : std::nullopt;
    if (a && b && *a != *b) {
        deploy->fail("conflicts with " + direct->key() + " (" + format_size(*a) + " vs " +
                     format_size(*b) + "); set only one");
    }
    return a ? a : b;
}

std::optional<Field> deploy_memory(const MapReader& service, const char* section) {
    auto deploy = service.get("deploy");
    if (!deploy) {
        return std::nullopt;
    }
    auto resources = deploy->map({}).get("resources");
    if (!resources) {
        return std::nullopt;
    }
    auto part = resources->map({}).get(section);
    return part ? part->map({}).get("memory") : std::nullopt;
}

std::vector<Dependency> read_depends_on(const Field& field) {
    std::vector<Dependency> deps;
    if (field.node().IsSequence()) {
        for (const auto& item : field.list()) {
            deps.push_back(
                Dependency{item.string(), DependsCondition::service_started, item.mark()});
        }
        return deps;
    }
    if (!field.is_null() && !field.node().IsMap()) {
        field.fail("expected a list of services or a map of service: {condition: ...}, got " +
                   yaml::describe_found(field.node()));
    }
    const auto map = field.map({});
    for (const auto& entry : map.entries()) {
        Dependency dep{entry.name, DependsCondition::service_started, entry.key_mark};
        if (auto condition = entry.value.map({}).get("condition")) {
            dep.condition = condition->choice<DependsCondition>(k_conditions);
        }
        deps.push_back(dep);
    }
    return deps;
}

// A healthcheck counts when it has a `test` that is not ["NONE"] and is not `disable: true`.
// Without `test` the image's HEALTHCHECK applies, which this file cannot tell: counting it
// would make the start sequence wait for a health status that may never come.
bool read_healthcheck(const Field& field) {
    auto map = field.map({});
    if (auto disable = map.get("disable"); disable && disable->boolean()) {
        return false;
    }
    auto test = map.get("test");
    if (!test || test->is_null()) {
        return false;
    }
    if (test->node().IsSequence()) {
        auto items = test->list();
        return !items.empty() && items.front().scalar("a string") != "NONE";
    }
    test->string();  // a string runs through the shell (CMD-SHELL); "NONE" is a command too
    return true;
}

void read_environment(const Field& field, std::vector<std::string>& secrets) {
    if (field.node().IsSequence()) {
        for (const auto& item : field.list()) {
            std::string entry = item.scalar("NAME=value");
            auto eq = entry.find('=');
            if (eq != std::string::npos && eq + 1 < entry.size()) {
                secrets.push_back(entry.substr(eq + 1));
            }
        }
        return;
    }
    const auto map = field.map({});
    for (const auto& entry : map.entries()) {
        if (!entry.value.is_null()) {
            std::string value = entry.value.scalar("a value");
            if (!value.empty()) {
                secrets.push_back(value);
            }
        }
    }
}

load::Extends read_extends(const Field& field) {
    load::Extends extends;
    extends.mark = field.mark();
    if (field.node().IsScalar()) {
        extends.service = field.string();
        return extends;
    }
    auto map = field.map({});
    extends.service = map.require("service").string();
    extends.other_file = map.get("file").has_value();
    return extends;
}

// Reads the keys of one service that stagehand uses.
ComposeService read_service(const MapReader::Entry& entry, ComposeFile& compose,
                            load::Extends& extends) {
    ComposeService service;
    service.name = entry.name;
    service.mark = entry.key_mark;
    if (!is_service_name(entry.name)) {
        entry.value.source().fail(entry.key_mark, entry.value.key(),
                                  "invalid service name (letters, digits, '.', '_', '-')");
    }
    auto map = entry.value.map({});
    if (auto image = map.get("image")) {
        service.image = read_image(*image);
    }
    service.has_build = map.get("build").has_value();
    if (auto depends_on = map.get("depends_on")) {
        service.depends_on = read_depends_on(*depends_on);
    }
    if (auto healthcheck = map.get("healthcheck")) {
        service.has_healthcheck = read_healthcheck(*healthcheck);
        extends.healthcheck_set = true;
    }
    service.mem_limit = pick_memory(map.get("mem_limit"), deploy_memory(map, "limits"));
    service.mem_reservation =
        pick_memory(map.get("mem_reservation"), deploy_memory(map, "reservations"));
    service.ports = load::read_container_ports(map);
    if (auto parent = map.get("cgroup_parent")) {
        service.cgroup_parent = parent->string();
    }
    if (auto restart = map.get("restart")) {
        service.restart = restart->string();
    }
    if (auto profiles = map.get("profiles")) {
        for (const auto& item : profiles->list()) {
            service.profiles.push_back(item.string());
        }
    }
    if (auto environment = map.get("environment")) {
        read_environment(*environment, compose.secret_values);
    }
    if (auto base = map.get("extends")) {
        extends = read_extends(*base);
    }
    return service;
}

}  // namespace

ComposeFile load_compose_text(std::string_view text, const std::string& path) {
    yaml::Source source(text, path);
    YAML::Node root = source.parse(text);
    Field root_field(source, root, "", source.mark(root.Mark()));
    auto top = root_field.map({});
    ComposeFile compose;
    compose.path = path;
    if (auto name = top.get("name")) {
        compose.name = name->string();
    }
    Field services = top.require("services");
    auto entries = services.map({});
    if (entries.entries().empty()) {
        services.fail("expected at least one service, got " +
                      yaml::describe_found(services.node()));
    }
    std::map<std::string, load::Extends> extends;
    for (const auto& entry : entries.entries()) {
        if (entry.name.rfind("x-", 0) == 0) {
            continue;  // an extension field, as compose ignores it
        }
        if (entry.value.is_null()) {
            entry.value.fail("service `" + entry.name + "` has neither `image` nor `build`");
        }
        compose.services.push_back(read_service(entry, compose, extends[entry.name]));
    }
    if (compose.services.empty()) {  // only x- extension entries (found by fuzz_compose)
        services.fail("expected at least one service, found only `x-` extension entries");
    }
    load::resolve_extends(source, compose, extends);
    load::check_dependencies(source, compose);
    return compose;
}

}  // namespace stagehand::core
