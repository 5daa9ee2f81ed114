#pragma once
// The event log every step writes to (SPEC section 2, Output). One event per line, flushed;
// the implementation (runtime/logger) formats text or JSON, sanitises to valid UTF-8 under
// 1 KB, mirrors into the log file, and never fails the run when stdout is gone (EPIPE).

#include <string>
#include <string_view>

namespace stagehand::util {

enum class Level { debug, info, warn, error };

class Log {
  public:
    virtual ~Log() = default;
    // service may be empty (a run-level event).
    virtual void event(Level level, std::string_view service, std::string_view message) = 0;
    // A waiting line: at most every 5 s on a pipe, a live line on a terminal. `key` groups
    // repeated progress for one wait (e.g. "gate:kafka").
    virtual void progress(std::string_view key, std::string_view service,
                          std::string_view message) = 0;

    void debug(std::string_view service, std::string_view m) { event(Level::debug, service, m); }
    void info(std::string_view service, std::string_view m) { event(Level::info, service, m); }
    void warn(std::string_view service, std::string_view m) { event(Level::warn, service, m); }
    void error(std::string_view service, std::string_view m) { event(Level::error, service, m); }
};

}  // namespace stagehand::util
