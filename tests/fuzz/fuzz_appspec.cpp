// appspec.yml loader: any input yields an Appspec or an InputError.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/load/appspec_loader.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        core::load_appspec_text(text, "appspec.yml");
    } catch (const core::InputError& e) {
        fuzz::check_diagnostic(e.diagnostic());
    }
    return 0;
}
