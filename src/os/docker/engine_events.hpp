#pragma once
// GET /events as an EventStream: the response body is read from the socket in non-blocking
// mode whenever the caller's poll says it is readable, and parsed line by line.

#include <memory>
#include <string>
#include <vector>

#include "os/docker/docker.hpp"
#include "os/docker/engine_client.hpp"
#include "os/docker/engine_json.hpp"

namespace stagehand::os {

class EngineEventStream final : public EventStream {
  public:
    // Takes an open connection whose response status was 200.
    explicit EngineEventStream(std::unique_ptr<EngineConnection> connection);

    int fd() const override { return m_connection->fd(); }
    std::vector<DockerEvent> take_events() override;
    bool finished() override;

    // Why the stream ended, when it ended with an error ("" otherwise).
    std::string error() const { return m_connection->error(); }
    // Lines that did not parse as container events (counted, not kept).
    std::size_t dropped() const { return m_dropped; }

  private:
    void pump();

    std::unique_ptr<EngineConnection> m_connection;
    LineSplitter m_lines{64 * 1024};
    std::vector<DockerEvent> m_events;
    std::size_t m_dropped = 0;
    bool m_finished = false;
};

}  // namespace stagehand::os
