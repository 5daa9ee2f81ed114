#pragma once
// A Log that keeps every event and progress line, for tests that assert what a step said.
// Thread-safe (validate's probes and the pull step's workers log concurrently); the
// accessors return copies taken under the lock.

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/log.hpp"

namespace stagehand::testing {

class RecordingLog final : public util::Log {
  public:
    struct Event {
        util::Level level = util::Level::info;
        std::string service;
        std::string message;
    };

    void event(util::Level level, std::string_view service, std::string_view message) override;
    void progress(std::string_view key, std::string_view service,
                  std::string_view message) override;

    std::vector<Event> events() const;
    // Every event as "info [zookeeper] pulling reg:5000/zk:1", in order.
    std::vector<std::string> lines() const;
    // The messages of the warnings, in order.
    std::vector<std::string> warnings() const;
    // Every progress line as "kafka: tcp kafka:9092 held 4.0s of 10s", in order.
    std::vector<std::string> progress_lines() const;
    // True when an event of `level` contains `part`.
    bool has(util::Level level, std::string_view part) const;
    // True when a progress line contains `part`.
    bool has_progress(std::string_view part) const;
    // Forgets everything recorded so far.
    void clear();

  private:
    mutable std::mutex m_mutex;
    std::vector<Event> m_events;
    std::vector<std::string> m_progress;
};

}  // namespace stagehand::testing
