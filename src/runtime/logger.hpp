#pragma once
// The run's event log (util::Log), a thin layer of stagehand's rules over spdlog: every line is
// sanitised to valid UTF-8 under 1 KB with secrets masked, progress is rate-limited, and the
// summary ends the run. spdlog formats (runtime/log_format) and writes through its sinks: one
// write(2) per line to stdout/stderr and to the per-run log file (runtime/log_sinks), and a
// ring buffer holding the lines logged before the file is open. EPIPE is not an error: the
// agent may close its pipe ends after its SIGTERM, and the file still gets everything.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/common.h>

#include "runtime/cli.hpp"
#include "util/log.hpp"

namespace spdlog {
class logger;
namespace sinks {
class sink;
}
}  // namespace spdlog

namespace stagehand::runtime {

struct LoggerOptions {
    LogFormat format = LogFormat::text;
    int verbosity = 0;
    bool color = false;          // a terminal and no NO_COLOR
    bool live_progress = false;  // a terminal: progress rewrites one line
    int out_fd = 1;
    int err_fd = 2;
    // Progress lines of one key: at most this far apart while a wait ticks, at least 4/5 of it.
    std::chrono::milliseconds progress_every{5000};
};

class Logger final : public util::Log {
  public:
    explicit Logger(LoggerOptions options);
    ~Logger() override;
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    void event(util::Level level, std::string_view service, std::string_view message) override;
    void progress(std::string_view key, std::string_view service,
                  std::string_view message) override;
    // A line of the closing summary: printed as is (text) or as {"summary": ...} (json),
    // at every verbosity.
    void summary(std::string_view line);
    // The run's last line, written once, on stdout after the summary table. The agent logs
    // each pipe's lines as they arrive (agent 1.8.1: one reader thread per pipe), so the
    // table and the verdict keep their order; a second copy on stderr (as before issue 13)
    // landed mid-table in scripts.log and cost up to 250 of the console's 2,048 characters,
    // and no case was found where that copy was the one the console showed.
    void verdict(std::string_view line);
    // Values never to print (compose environment values, credentials). Short values are
    // ignored: masking "1" would garble every number.
    void add_secret(std::string value);
    // Starts mirroring into `path` (created 0640, appended); earlier lines are written first.
    bool open_file(const std::string& path, std::string& error);
    const std::string& file_path() const { return m_file_path; }

  private:
    std::string mask(std::string_view text) const;
    // The sanitised, cut and masked payload for the format's line pattern.
    std::string payload(std::string_view service, std::string_view message) const;
    void log_line(spdlog::level::level_enum level, const std::string& payload);
    void clear_live_line();

    LoggerOptions m_options;
    std::mutex m_mutex;
    std::vector<std::string> m_secrets;
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> m_last_progress;
    std::shared_ptr<spdlog::sinks::sink> m_early;  // ring buffer until the file is open
    std::shared_ptr<spdlog::logger> m_log;
    int m_file_fd = -1;  // the log file, kept open to fsync it at the end
    std::string m_file_path;
    bool m_live_line_shown = false;
};

// Terminal detection and NO_COLOR (SPEC section 2: colours only on a terminal).
LoggerOptions logger_options_for(const Options& options);

}  // namespace stagehand::runtime
