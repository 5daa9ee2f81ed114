#include "support/recording_log.hpp"

#include <algorithm>

namespace stagehand::testing {

namespace {

const char* level_name(util::Level level) {
    switch (level) {
        case util::Level::debug:
            return "debug";
        case util::Level::info:
            return "info";
        case util::Level::warn:
            return "warn";
        case util::Level::error:
            return "error";
    }
    return "?";
}

}  // namespace

void RecordingLog::event(util::Level level, std::string_view service, std::string_view message) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_events.push_back({level, std::string(service), std::string(message)});
}

void RecordingLog::progress(std::string_view, std::string_view service, std::string_view message) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_progress.push_back(std::string(service) + ": " + std::string(message));
}

std::vector<RecordingLog::Event> RecordingLog::events() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_events;
}

std::vector<std::string> RecordingLog::lines() const {
    std::vector<std::string> lines;
    for (const auto& e : events()) {
        lines.push_back(std::string(level_name(e.level)) + " [" + e.service + "] " + e.message);
    }
    return lines;
}

std::vector<std::string> RecordingLog::warnings() const {
    std::vector<std::string> warnings;
    for (const auto& e : events()) {
        if (e.level == util::Level::warn) {
            warnings.push_back(e.message);
        }
    }
    return warnings;
}

std::vector<std::string> RecordingLog::progress_lines() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_progress;
}

bool RecordingLog::has(util::Level level, std::string_view part) const {
    const auto all = events();
    return std::any_of(all.begin(), all.end(), [&](const Event& e) {
        return e.level == level && e.message.find(part) != std::string::npos;
    });
}

bool RecordingLog::has_progress(std::string_view part) const {
    const auto all = progress_lines();
    return std::any_of(all.begin(), all.end(),
                       [&](const std::string& p) { return p.find(part) != std::string::npos; });
}

void RecordingLog::clear() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_events.clear();
    m_progress.clear();
}

}  // namespace stagehand::testing
