#pragma once
// The spdlog sink of the run's event log. The agent reads the hook's stdout and stderr through
// pipes and loses whatever a killed process had buffered, so each formatted line goes out
// with one write(2): errors to one descriptor, everything else to another. The same sink
// writes the per-run log file (both descriptors the file's).

#include <mutex>
#include <string_view>

#include <spdlog/sinks/base_sink.h>

namespace stagehand::runtime {

// Writes all of `text` to `fd`, retrying short writes and EINTR. Gives up quietly on EPIPE,
// EBADF and the like: under the agent a SIGTERM comes before it closes its pipe ends, and
// the log file still gets every line.
void write_line(int fd, std::string_view text);

// `color`: wrap the formatter's colour range (%^...%$) in the level's ANSI colour (a terminal
// without NO_COLOR only). The descriptors stay the caller's.
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    FdSink(int out_fd, int err_fd, bool color)
        : m_out_fd(out_fd), m_err_fd(err_fd), m_color(color) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

  private:
    int m_out_fd;
    int m_err_fd;
    bool m_color;
};

}  // namespace stagehand::runtime
