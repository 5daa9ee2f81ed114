#pragma once
// Signals without logic in handlers (tini's way): SIGTERM and SIGINT are blocked in every
// thread from the start of main, and one thread takes them with sigtimedwait, firing the
// run's Cancel. The same thread fires Cancel(deadline) when the deadline passes, so every
// wait loop sees one kind of interruption. SIGPIPE is ignored: writes to a closed agent pipe
// return EPIPE instead of killing us.

#include <thread>

#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"

namespace stagehand::runtime {

// Call first thing in main, before any thread exists, so every thread inherits the mask.
void block_termination_signals();

class SignalWatcher {
  public:
    SignalWatcher(const os::Cancel& cancel, os::MonoTime deadline);
    ~SignalWatcher();  // stops and joins the thread
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

  private:
    void run();

    const os::Cancel& m_cancel;
    os::MonoTime m_deadline;
    std::thread m_thread;
};

}  // namespace stagehand::runtime
