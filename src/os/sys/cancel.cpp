#include "os/sys/cancel.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace stagehand::os {

Cancel::Cancel() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (m_fd < 0) {
        throw std::runtime_error("eventfd failed");
    }
}

Cancel::~Cancel() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

void Cancel::fire(CancelReason reason) const {
    int expected = 0;
    if (m_reason.compare_exchange_strong(expected, static_cast<int>(reason))) {
        std::uint64_t one = 1;
        // The eventfd is never read, so it stays readable for every waiter.
        [[maybe_unused]] auto written = ::write(m_fd, &one, sizeof one);
    }
}

}  // namespace stagehand::os
