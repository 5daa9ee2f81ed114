#include "os/docker/engine_events.hpp"

#include <utility>

#include "os/docker/engine_json.hpp"

namespace stagehand::os {

EngineEventStream::EngineEventStream(std::unique_ptr<EngineConnection> connection)
    : m_connection(std::move(connection)) {}

void EngineEventStream::pump() {
    if (m_finished) {
        return;
    }
    const auto on_line = [this](std::string_view line) {
        if (line.empty()) {
            return;
        }
        if (auto event = parse_event(line)) {
            m_events.push_back(std::move(*event));
        } else {
            ++m_dropped;
        }
    };
    const auto state =
        m_connection->read_available([&](std::string_view data) { m_lines.feed(data, on_line); });
    if (state == EngineConnection::ReadState::finished) {
        m_lines.finish(on_line);
        m_finished = true;
    }
}

std::vector<DockerEvent> EngineEventStream::take_events() {
    pump();
    return std::exchange(m_events, {});
}

bool EngineEventStream::finished() {
    pump();
    return m_finished && m_events.empty();
}

}  // namespace stagehand::os
