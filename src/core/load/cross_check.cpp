#include "core/load/cross_check.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/load/suggest.hpp"
#include "core/load/yaml_access.hpp"

namespace stagehand::core {
namespace {

class Checker {
  public:
    Checker(const Config& config, const ComposeFile& compose)
        : m_config(config), m_compose(compose) {
        for (const auto& s : compose.services) {
            m_names.push_back(s.name);
            m_services.emplace(s.name, &s);
        }
    }

    // Maps, not scans: a file of a thousand services must not cost a million comparisons.
    const ComposeService& require_service(const std::string& name, const SourceMark& at,
                                          const std::string& key) const {
        const auto it = m_services.find(name);
        if (it == m_services.end()) {
            fail(at, key,
                 "unknown service `" + name + "` (not in " + m_compose.path + ")" +
                     did_you_mean(name, m_names));
        }
        return *it->second;
    }

    void check_start_order() const {
        const auto& services = m_config.startup.services;
        const std::unordered_set<std::string> listed(services.begin(), services.end());
        std::unordered_map<std::string, std::size_t> first_at;
        for (std::size_t i = 0; i < services.size(); ++i) {
            const SourceMark at = mark(i);
            const std::string key = "startup.services[" + std::to_string(i) + "]";
            const ComposeService& service = require_service(services[i], at, key);
            if (const auto [first, fresh] = first_at.emplace(services[i], i); !fresh) {
                fail(at, key,
                     "service `" + services[i] + "` is listed twice (first at line " +
                         std::to_string(mark(first->second).line) + ")");
            }
            for (const auto& dep : service.depends_on) {
                if (first_at.count(dep.service) == 0) {
                    const bool later = listed.count(dep.service) != 0;
                    fail(at, key,
                         "`" + services[i] + "` depends_on `" + dep.service + "`, which is " +
                             (later ? "listed after it" : "not in the list") + ": list `" +
                             dep.service + "` before `" + services[i] + "`");
                }
            }
        }
    }

  private:
    [[noreturn]] void fail(const SourceMark& at, std::string key, std::string message) const {
        throw InputError(config_diagnostic(m_config, at, std::move(key), std::move(message)));
    }

    SourceMark mark(std::size_t i) const {
        const auto& marks = m_config.startup.service_marks;
        return i < marks.size() ? marks[i] : SourceMark{m_config.path, 0, 0};
    }

    const Config& m_config;
    const ComposeFile& m_compose;
    std::vector<std::string> m_names;
    std::unordered_map<std::string, const ComposeService*> m_services;
};

}  // namespace

Diagnostic config_diagnostic(const Config& config, const SourceMark& at, std::string key,
                             std::string message) {
    yaml::Source source(config.source_text, config.path);
    return Diagnostic{at, std::move(key), std::move(message), source.line(at.line)};
}

void check_config_against_compose(const Config& config, const ComposeFile& compose) {
    Checker checker(config, compose);
    checker.check_start_order();
    for (const auto& [name, overrides] : config.startup.per_service) {
        checker.require_service(name, overrides.mark, "startup.per_service." + name);
    }
    for (std::size_t i = 0; i < config.validate.checks.size(); ++i) {
        const Check& check = config.validate.checks[i];
        checker.require_service(check.service, check.mark,
                                "validate.checks[" + std::to_string(i) + "].service");
    }
}

}  // namespace stagehand::core
