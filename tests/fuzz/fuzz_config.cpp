// stagehand.yml loader and the checks against a compose file: any input yields a Config or an
// InputError. Anything else (another exception, a crash, a sanitizer report) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/load/compose_loader.hpp"
#include "core/load/config_loader.hpp"
#include "core/load/cross_check.hpp"
#include "fuzz_check.hpp"

namespace {

const char* const k_compose = R"(services:
  zookeeper: {image: zk}
  kafka: {image: kafka, depends_on: [zookeeper]}
  gateway-service: {image: gw, healthcheck: {test: [CMD, "true"]}}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    static const core::ComposeFile compose = core::load_compose_text(k_compose, "compose.yml");
    try {
        core::Config config = core::load_config_text(text, "stagehand.yml");
        core::check_config_against_compose(config, compose);
    } catch (const core::InputError& e) {
        fuzz::check_diagnostic(e.diagnostic());
    }
    return 0;
}
