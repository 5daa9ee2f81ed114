// H12-STUB: placeholders so branch h12-gate compiles before h12-kernel (the real kernel
// readers) is merged. Delete this file, its CMake line and the H12-STUB declarations in
// readers.hpp at that merge.
#include <cerrno>

#include "os/memory/factory.hpp"

namespace stagehand::os {

namespace {

util::Error not_yet() {
    return util::Error{"kernel readers not merged yet (h12-kernel)", ENOSYS};
}

class StubCpuReader final : public CpuReader {
  public:
    util::Result<CpuSample> read() override { return not_yet(); }
};

}  // namespace

util::Result<std::optional<core::Bytes>> CgroupContainerMemory::peak(int) {
    return not_yet();
}
util::Result<std::uint64_t> CgroupContainerMemory::cpu_usage_ns(int) {
    return not_yet();
}
util::Result<std::vector<std::uint16_t>> CgroupContainerMemory::listening_ports(int) {
    return not_yet();
}

std::unique_ptr<CpuReader> make_cpu_reader(const MemorySourceChoice&, const std::string&) {
    return std::make_unique<StubCpuReader>();
}

}  // namespace stagehand::os
