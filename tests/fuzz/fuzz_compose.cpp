// Compose file loader: any input yields a ComposeFile or an InputError. Anything else
// (another exception, a crash, a sanitizer report) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/load/compose_loader.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        core::ComposeFile compose = core::load_compose_text(text, "docker-compose.yml");
        // A loaded file keeps its promises: services exist and dependencies resolve.
        if (compose.services.empty()) {
            std::abort();
        }
        for (const auto& service : compose.services) {
            for (const auto& dep : service.depends_on) {
                if (compose.find(dep.service) == nullptr) {
                    std::abort();
                }
            }
        }
    } catch (const core::InputError& e) {
        fuzz::check_diagnostic(e.diagnostic());
    }
    return 0;
}
