#pragma once
// The spdlog sink of the run's event log. The agent reads the hook's stdout and stderr through
// pipes and loses whatever a killed process had buffered, so each formatted line goes out
// with one write(2): errors to one descriptor, everything else to another. The same sink
// writes the per-run log file (both descriptors the file's).

#include <chrono>
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
//
// The CodeDeploy agent reads stdout and stderr with one thread each and writes their lines to
// scripts.log as they arrive, so an ERROR line on stderr can land after the verdict that
// follows it on stdout. When stderr and stdout are two pipes, a stdout line that follows a
// stderr line first waits until the agent has read stderr, up to k_err_drain_budget in all
// per run: a stderr that nobody reads costs that once, not at every line.
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    static constexpr std::chrono::milliseconds k_err_drain_budget{250};

    FdSink(int out_fd, int err_fd, bool color);

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override {}

  private:
    int m_out_fd;
    int m_err_fd;
    bool m_color;
    bool m_err_is_own_pipe = false;  // stderr is a pipe other than stdout's
    bool m_err_unread = false;       // a line went to stderr since the last wait
    std::chrono::milliseconds m_drain_left = k_err_drain_budget;
};

}  // namespace stagehand::runtime
