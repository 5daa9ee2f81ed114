#pragma once
// A Clock the test advances (what ninja's VirtualFileSystem is for files, for time):
// sleep_until jumps the time forward instantly, so a 5-minute timeout runs in microseconds.

#include <chrono>

#include "os/sys/clock.hpp"

namespace stagehand::testing {

class FakeClock final : public os::Clock {
  public:
    explicit FakeClock(os::MonoTime start = os::MonoTime{} + std::chrono::hours(1))
        : m_now(start) {}
    os::MonoTime now() const override { return m_now; }
    os::WallTime wall_now() const override {
        return os::WallTime{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                    m_now.time_since_epoch());
    }
    // Jumps to `until` (never back); false, without moving, once `cancel` has fired.
    bool sleep_until(os::MonoTime until, const os::Cancel& cancel) override;
    // Never sees the fd readable: jumps to `until` (tests feed events between calls).
    bool wait_readable(int fd, os::MonoTime until, const os::Cancel& cancel) override;
    void advance(std::chrono::milliseconds by) { m_now += by; }

  private:
    os::MonoTime m_now;
};

}  // namespace stagehand::testing
