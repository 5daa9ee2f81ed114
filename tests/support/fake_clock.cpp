#include "support/fake_clock.hpp"

namespace stagehand::testing {

bool FakeClock::wait_readable(int /*fd*/, os::MonoTime until, const os::Cancel& cancel) {
    sleep_until(until, cancel);
    return false;
}

bool FakeClock::sleep_until(os::MonoTime until, const os::Cancel& cancel) {
    if (cancel.fired()) {
        return false;
    }
    if (until > m_now) {
        m_now = until;
    }
    return true;
}

}  // namespace stagehand::testing
