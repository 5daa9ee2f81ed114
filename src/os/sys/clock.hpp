#pragma once
// Time, behind an interface so tests drive a fake clock. Every wait in stagehand takes an
// absolute deadline on the monotonic clock (skalibs' rule): durations are never re-added.

#include <chrono>
#include <memory>

#include "os/sys/cancel.hpp"

namespace stagehand::os {

using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
  public:
    virtual ~Clock() = default;
    virtual MonoTime now() const = 0;
    virtual WallTime wall_now() const = 0;
    // Sleeps until `until` or until `cancel` fires; returns false when cancelled.
    virtual bool sleep_until(MonoTime until, const Cancel& cancel) = 0;
    // Waits until `fd` is readable, `until`, or `cancel`; true when `fd` became readable.
    virtual bool wait_readable(int fd, MonoTime until, const Cancel& cancel) = 0;
};

class SystemClock final : public Clock {
  public:
    MonoTime now() const override;
    WallTime wall_now() const override;
    bool sleep_until(MonoTime until, const Cancel& cancel) override;
    bool wait_readable(int fd, MonoTime until, const Cancel& cancel) override;
};

// A clock the test advances; sleep_until jumps the time forward instantly.
class FakeClock final : public Clock {
  public:
    explicit FakeClock(MonoTime start = MonoTime{} + std::chrono::hours(1)) : m_now(start) {}
    MonoTime now() const override { return m_now; }
    WallTime wall_now() const override {
        return WallTime{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                m_now.time_since_epoch());
    }
    bool sleep_until(MonoTime until, const Cancel& cancel) override;
    // Never sees the fd readable: jumps to `until` (tests feed events between calls).
    bool wait_readable(int fd, MonoTime until, const Cancel& cancel) override;
    void advance(std::chrono::milliseconds by) { m_now += by; }

  private:
    MonoTime m_now;
};

}  // namespace stagehand::os
