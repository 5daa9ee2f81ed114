#pragma once
// Cancellation: set once SIGTERM or SIGINT arrives (or the deadline passes), never cleared.
// Waits poll its fd next to their own (an eventfd that becomes readable and stays readable),
// so every wait loop wakes at once. No logic runs in a signal handler: the signals are blocked
// in every thread and a dedicated thread takes them with sigwait (see runtime/signals).

#include <atomic>

namespace stagehand::os {

enum class CancelReason { none = 0, sigint = 2, sigterm = 15, deadline = 124 };

class Cancel {
  public:
    Cancel();
    ~Cancel();
    Cancel(const Cancel&) = delete;
    Cancel& operator=(const Cancel&) = delete;

    // First reason wins; later calls are ignored. Async-signal-safe and thread-safe.
    void fire(CancelReason reason) const;
    bool fired() const { return m_reason.load() != 0; }
    CancelReason reason() const { return static_cast<CancelReason>(m_reason.load()); }
    // Readable (POLLIN) once fired.
    int fd() const { return m_fd; }

  private:
    int m_fd = -1;
    mutable std::atomic<int> m_reason{0};
};

}  // namespace stagehand::os
