#include "runtime/logger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <nlohmann/json.hpp>

#include "runtime/log_format.hpp"
#include "runtime/log_sinks.hpp"
#include "util/sanitize.hpp"

namespace stagehand::runtime {

namespace {

constexpr std::size_t k_max_line = 1000;       // SPEC: lines shorter than 1 KB
constexpr std::size_t k_time_level_room = 16;  // "HH:MM:SS ERROR "
constexpr std::size_t k_min_secret = 4;
// Lines logged before the log file opens (loading the inputs): a few dozen in practice.
constexpr std::size_t k_early_lines = 4096;

spdlog::level::level_enum to_spdlog(util::Level level) {
    switch (level) {
        case util::Level::debug:
            return spdlog::level::debug;
        case util::Level::warn:
            return spdlog::level::warn;
        case util::Level::error:
            return spdlog::level::err;
        case util::Level::info:
            break;
    }
    return spdlog::level::info;
}

// What the terminal or the agent's pipe shows: warnings and worse with -q, debug with -v.
spdlog::level::level_enum shown_from(int verbosity) {
    if (verbosity < 0) {
        return spdlog::level::warn;
    }
    return verbosity > 0 ? spdlog::level::debug : spdlog::level::info;
}

}  // namespace

Logger::Logger(LoggerOptions options) : m_options(options) {
    auto pipe = std::make_shared<FdSink>(options.out_fd, options.err_fd, options.color);
    pipe->set_formatter(make_log_formatter(options.format));
    pipe->set_level(shown_from(options.verbosity));
    auto early = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(k_early_lines);
    early->set_level(spdlog::level::debug);
    m_early = early;
    // Not registered with spdlog's global registry: each run owns its logger.
    m_log = std::make_shared<spdlog::logger>("stagehand", spdlog::sinks_init_list{pipe, early});
    m_log->set_level(spdlog::level::debug);
    m_log->flush_on(spdlog::level::debug);
    // A log write that fails (a full disk) must not print spdlog's own complaint into the
    // agent's 2 KB tail; the pipe and the report still carry the run.
    m_log->set_error_handler([](const std::string&) {});
}

Logger::~Logger() {
    std::lock_guard lock(m_mutex);
    clear_live_line();
    m_log->flush();
    if (m_file_fd >= 0) {
        ::fsync(m_file_fd);
        ::close(m_file_fd);
    }
}

void Logger::add_secret(std::string value) {
    std::lock_guard lock(m_mutex);
    if (value.size() >= k_min_secret) {
        m_secrets.push_back(std::move(value));
    }
}

std::string Logger::mask(std::string_view text) const {
    std::string out(text);
    for (const auto& secret : m_secrets) {
        for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
            out.replace(pos, secret.size(), "***");
            pos += 3;
        }
    }
    return out;
}

std::string Logger::payload(std::string_view service, std::string_view message) const {
    const std::string text = mask(message);
    if (m_options.format == LogFormat::json) {
        std::string members =
            "\"message\":" + nlohmann::json(util::sanitize_line(text, k_max_line - 200)).dump();
        if (!service.empty()) {
            members += ",\"service\":" + nlohmann::json(util::sanitize_line(service, 100)).dump();
        }
        return members;
    }
    std::string prefix;
    if (!service.empty()) {
        prefix = "[" + util::sanitize_line(service, 100) + "] ";
    }
    return prefix + util::sanitize_line(text, k_max_line - k_time_level_room - prefix.size());
}

void Logger::clear_live_line() {
    if (m_live_line_shown) {
        write_line(m_options.out_fd, "\r\033[K");
        m_live_line_shown = false;
    }
}

void Logger::log_line(spdlog::level::level_enum level, const std::string& payload) {
    clear_live_line();
    m_log->log(level, spdlog::string_view_t(payload.data(), payload.size()));
}

void Logger::event(util::Level level, std::string_view service, std::string_view message) {
    std::lock_guard lock(m_mutex);
    log_line(to_spdlog(level), payload(service, message));
}

void Logger::progress(std::string_view key, std::string_view service, std::string_view message) {
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    const bool live = m_options.live_progress && m_options.format == LogFormat::text;
    if (live) {
        // A terminal: the line is rewritten in place, no newline until the next event.
        clear_live_line();
        write_line(m_options.out_fd, util::sanitize_line(payload(service, message), k_max_line));
        m_live_line_shown = true;
    }
    // Waits tick at least once a second and their ticks drift against the last line's time:
    // with the bare interval, a tick 4.99 s after the last line was throttled and the next
    // line came 6 s after it (CI, a frozen daemon's wait). A fifth of the interval as slack
    // keeps lines at most `progress_every` apart (SPEC section 2) and at least 4/5 of it.
    const auto slack = m_options.progress_every / 5;
    auto it = m_last_progress.find(key);
    if (it != m_last_progress.end() && now - it->second < m_options.progress_every - slack) {
        return;
    }
    m_last_progress[std::string(key)] = now;
    if (live) {
        // Shown live already: only the file (and the early buffer) get the line.
        m_log->sinks().front()->set_level(spdlog::level::off);
        m_log->log(spdlog::level::info, payload(service, message));
        m_log->sinks().front()->set_level(shown_from(m_options.verbosity));
        return;
    }
    log_line(spdlog::level::info, payload(service, message));
}

void Logger::summary(std::string_view line) {
    std::lock_guard lock(m_mutex);
    std::string out;
    if (m_options.format == LogFormat::json) {
        out = nlohmann::json{{"summary", util::sanitize_line(mask(line), k_max_line - 20)}}.dump();
    } else {
        out = util::sanitize_line(mask(line), k_max_line);
    }
    log_line(k_summary_level, out);
}

void Logger::verdict(std::string_view line) {
    summary(line);
}

bool Logger::open_file(const std::string& path, std::string& error) {
    std::lock_guard lock(m_mutex);
    // 0640: the log holds deployment details that other users of the host need not read.
    // O_CLOEXEC: no `docker compose` child inherits it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = "cannot open log file " + path + ": " + std::strerror(errno);
        return false;
    }
    auto file = std::make_shared<FdSink>(fd, fd, false);
    file->set_formatter(make_log_formatter(m_options.format));
    file->set_level(spdlog::level::debug);
    auto& sinks = m_log->sinks();
    auto& early = static_cast<spdlog::sinks::ringbuffer_sink_mt&>(*m_early);
    for (const auto& line : early.last_raw()) {
        file->log(line);
    }
    sinks.erase(std::remove(sinks.begin(), sinks.end(), m_early), sinks.end());
    sinks.push_back(std::move(file));
    m_early.reset();
    m_file_fd = fd;
    m_file_path = path;
    return true;
}

LoggerOptions logger_options_for(const Options& options) {
    LoggerOptions out;
    out.format = options.log_format;
    out.verbosity = options.verbosity;
    const bool terminal = ::isatty(1) == 1;
    const char* no_color = std::getenv("NO_COLOR");
    out.color = terminal && no_color == nullptr && options.log_format == LogFormat::text;
    out.live_progress = terminal;
    return out;
}

}  // namespace stagehand::runtime
