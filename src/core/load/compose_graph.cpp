// Checks of a compose file that need every service: `extends`, depends_on targets, cycles.

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/load/compose_detail.hpp"
#include "core/load/suggest.hpp"

namespace stagehand::core::load {
namespace {

std::vector<std::string> service_names(const ComposeFile& compose) {
    std::vector<std::string> names;
    for (const auto& s : compose.services) {
        names.push_back(s.name);
    }
    return names;
}

// Service name -> position in the file, built once per check: a lookup per dependency
// would otherwise scan the file (quadratic in a thousand-service file).
class NameIndex {
  public:
    explicit NameIndex(const ComposeFile& compose) : m_size(compose.services.size()) {
        for (std::size_t i = 0; i < compose.services.size(); ++i) {
            m_index.emplace(compose.services[i].name, i);
        }
    }
    // The service's position; the number of services when there is none by that name.
    std::size_t operator()(const std::string& name) const {
        const auto it = m_index.find(name);
        return it == m_index.end() ? m_size : it->second;
    }

  private:
    std::unordered_map<std::string, std::size_t> m_index;
    std::size_t m_size;
};

// Fills what `service` leaves unset from its base chain; depth-limited against loops.
void inherit(const yaml::Source& source, ComposeFile& compose, const NameIndex& index_of,
             const std::map<std::string, Extends>& extends, ComposeService& service) {
    std::string current = service.name;
    bool healthcheck_set = extends.at(current).healthcheck_set;
    for (std::size_t depth = 0;; ++depth) {
        const Extends& link = extends.at(current);
        if (link.service.empty() || link.other_file) {
            return;
        }
        std::size_t base_index = index_of(link.service);
        if (base_index == compose.services.size()) {
            source.fail(link.mark, "services." + current + ".extends",
                        "unknown service `" + link.service + "`" +
                            did_you_mean(link.service, service_names(compose)));
        }
        if (depth > compose.services.size()) {
            source.fail(link.mark, "services." + current + ".extends",
                        "`extends` loops back to `" + service.name + "`");
        }
        const ComposeService& base = compose.services[base_index];
        if (service.image.empty() && !service.has_build) {
            service.image = base.image;
            service.has_build = base.has_build;
        }
        if (!healthcheck_set && extends.at(base.name).healthcheck_set) {
            service.has_healthcheck = base.has_healthcheck;
            healthcheck_set = true;
        }
        service.mem_limit = service.mem_limit ? service.mem_limit : base.mem_limit;
        service.mem_reservation =
            service.mem_reservation ? service.mem_reservation : base.mem_reservation;
        // compose merges `ports` and `expose` of the base and the service.
        service.ports.insert(service.ports.end(), base.ports.begin(), base.ports.end());
        std::sort(service.ports.begin(), service.ports.end());
        service.ports.erase(std::unique(service.ports.begin(), service.ports.end()),
                            service.ports.end());
        current = base.name;
    }
}

// True when the chain of `extends` of `name` ends in another file (whose image we cannot see).
bool based_elsewhere(const std::map<std::string, Extends>& extends, std::string name) {
    for (std::size_t depth = 0; depth <= extends.size(); ++depth) {
        auto it = extends.find(name);
        if (it == extends.end() || it->second.service.empty()) {
            return false;
        }
        if (it->second.other_file) {
            return true;
        }
        name = it->second.service;
    }
    return false;
}

// "a -> b -> c -> a" at the depends_on entry that closes a cycle.
void check_cycles(const yaml::Source& source, const ComposeFile& compose) {
    const NameIndex index_of(compose);
    // Depth-first search in file order; a grey node reached again closes a cycle.
    enum class Colour { white, grey, black };
    std::vector<Colour> colour(compose.services.size(), Colour::white);
    std::vector<std::size_t> path;
    auto visit = [&](auto& self, std::size_t node) -> void {
        colour[node] = Colour::grey;
        path.push_back(node);
        for (const auto& dep : compose.services[node].depends_on) {
            std::size_t next = index_of(dep.service);
            if (colour[next] == Colour::grey) {
                std::string cycle;
                auto start = std::find(path.begin(), path.end(), next);
                for (auto it = start; it != path.end(); ++it) {
                    cycle += compose.services[*it].name + " -> ";
                }
                source.fail(dep.mark, "services." + compose.services[node].name + ".depends_on",
                            "dependency cycle: " + cycle + compose.services[next].name);
            }
            if (colour[next] == Colour::white) {
                self(self, next);
            }
        }
        path.pop_back();
        colour[node] = Colour::black;
    };
    for (std::size_t i = 0; i < compose.services.size(); ++i) {
        if (colour[i] == Colour::white) {
            visit(visit, i);
        }
    }
}

}  // namespace

void resolve_extends(const yaml::Source& source, ComposeFile& compose,
                     const std::map<std::string, Extends>& extends) {
    const NameIndex index_of(compose);
    for (auto& service : compose.services) {
        inherit(source, compose, index_of, extends, service);
    }
    for (const auto& service : compose.services) {
        if (service.image.empty() && !service.has_build &&
            !based_elsewhere(extends, service.name)) {
            source.fail(service.mark, "services." + service.name,
                        "service `" + service.name +
                            "` has neither `image` nor `build`: compose cannot create it");
        }
    }
}

void check_dependencies(const yaml::Source& source, const ComposeFile& compose) {
    const auto names = service_names(compose);
    const NameIndex index_of(compose);
    for (const auto& service : compose.services) {
        for (const auto& dep : service.depends_on) {
            if (index_of(dep.service) == compose.services.size()) {
                source.fail(
                    dep.mark, "services." + service.name + ".depends_on",
                    "unknown service `" + dep.service + "`" + did_you_mean(dep.service, names));
            }
        }
    }
    check_cycles(source, compose);
}

}  // namespace stagehand::core::load
