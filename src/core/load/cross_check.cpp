#include "core/load/cross_check.hpp"

#include <algorithm>

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
        }
    }

    void require_service(const std::string& name, const SourceMark& at,
                         const std::string& key) const {
        if (m_compose.find(name) == nullptr) {
            fail(at, key,
                 "unknown service `" + name + "` (not in " + m_compose.path + ")" +
                     did_you_mean(name, m_names));
        }
    }

    void check_start_order() const {
        const auto& services = m_config.startup.services;
        for (std::size_t i = 0; i < services.size(); ++i) {
            const SourceMark at = mark(i);
            const std::string key = "startup.services[" + std::to_string(i) + "]";
            require_service(services[i], at, key);
            auto first = std::find(services.begin(), services.end(), services[i]);
            if (first != services.begin() + static_cast<std::ptrdiff_t>(i)) {
                fail(at, key,
                     "service `" + services[i] + "` is listed twice (first at line " +
                         std::to_string(
                             mark(static_cast<std::size_t>(first - services.begin())).line) +
                         ")");
            }
            for (const auto& dep : m_compose.find(services[i])->depends_on) {
                auto pos =
                    std::find(services.begin(), services.begin() + static_cast<std::ptrdiff_t>(i),
                              dep.service);
                if (pos == services.begin() + static_cast<std::ptrdiff_t>(i)) {
                    bool later =
                        std::find(services.begin(), services.end(), dep.service) != services.end();
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
