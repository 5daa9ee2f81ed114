#pragma once
// Time, behind an interface so tests drive a fake clock (tests/support/fake_clock.hpp).
// Every wait in stagehand takes an absolute deadline on the monotonic clock (skalibs' rule):
// durations are never re-added.

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

}  // namespace stagehand::os
