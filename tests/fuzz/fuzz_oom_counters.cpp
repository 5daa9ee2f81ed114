// The kernel's OOM-counter parsers (/proc/vmstat, cgroup v2 memory.events, v1
// memory.oom_control): any text yields counts or an error that says what was wrong, never a
// crash or a negative count.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "os/memory/oom_parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stagehand;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto kills = os::parse_vmstat_oom_kill(text);
        kills ? *kills < 0 : kills.error().message.empty()) {
        std::abort();
    }
    if (auto events = os::parse_memory_events(text);
        events ? events->oom < 0 || events->oom_kill < 0 : events.error().message.empty()) {
        std::abort();
    }
    if (auto control = os::parse_oom_control(text);
        control ? control->oom_kill && *control->oom_kill < 0 : control.error().message.empty()) {
        std::abort();
    }
    return 0;
}
