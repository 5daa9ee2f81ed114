#include "runtime/logger.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

#include "util/sanitize.hpp"

namespace stagehand::runtime {

namespace {

constexpr std::size_t k_max_line = 1000;  // SPEC: lines shorter than 1 KB
constexpr std::size_t k_min_secret = 4;

const char* level_name(util::Level level) {
    switch (level) {
        case util::Level::debug:
            return "DEBUG";
        case util::Level::info:
            return "INFO";
        case util::Level::warn:
            return "WARN";
        case util::Level::error:
            return "ERROR";
    }
    return "INFO";
}

const char* level_color(util::Level level) {
    switch (level) {
        case util::Level::debug:
            return "\033[2m";
        case util::Level::info:
            return "\033[32m";
        case util::Level::warn:
            return "\033[33m";
        case util::Level::error:
            return "\033[31;1m";
    }
    return "";
}

std::string clock_text() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%H:%M:%S", &local);
    return text;
}

// One write per line; retries short writes and EINTR, gives up quietly on EPIPE/EBADF.
void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += static_cast<std::size_t>(n);
    }
}

bool shown(util::Level level, int verbosity) {
    if (verbosity < 0) {
        return level >= util::Level::warn;
    }
    return level != util::Level::debug || verbosity > 0;
}

}  // namespace

Logger::Logger(LoggerOptions options) : m_options(options) {}

Logger::~Logger() {
    std::lock_guard lock(m_mutex);
    clear_live_line();
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

std::string Logger::format_line(util::Level level, std::string_view service,
                                std::string_view message, bool for_terminal) const {
    const std::string text = mask(message);
    if (m_options.format == LogFormat::json) {
        nlohmann::json line = {{"time", clock_text()},
                               {"level", level_name(level)},
                               {"message", util::sanitize_line(text, k_max_line - 200)}};
        if (!service.empty()) {
            line["service"] = util::sanitize_line(service, 100);
        }
        return line.dump() + "\n";
    }
    std::string prefix = clock_text() + " ";
    if (for_terminal && m_options.color) {
        prefix += std::string(level_color(level)) + level_name(level) + "\033[0m ";
    } else {
        prefix += std::string(level_name(level)) + " ";
    }
    if (!service.empty()) {
        prefix += "[" + util::sanitize_line(service, 100) + "] ";
    }
    return prefix + util::sanitize_line(text, k_max_line - prefix.size()) + "\n";
}

void Logger::clear_live_line() {
    if (m_live_line_shown) {
        write_all(m_options.out_fd, "\r\033[K");
        m_live_line_shown = false;
    }
}

void Logger::emit(int fd, const std::string& terminal_line, const std::string& file_line) {
    clear_live_line();
    write_all(fd, terminal_line);
    if (m_file_fd >= 0) {
        write_all(m_file_fd, file_line);
    } else {
        m_early_lines.push_back(file_line);
    }
}

void Logger::event(util::Level level, std::string_view service, std::string_view message) {
    std::lock_guard lock(m_mutex);
    const std::string file_line = format_line(level, service, message, false);
    if (!shown(level, m_options.verbosity)) {
        if (m_file_fd >= 0) {
            write_all(m_file_fd, file_line);
        } else {
            m_early_lines.push_back(file_line);
        }
        return;
    }
    const int fd = level == util::Level::error ? m_options.err_fd : m_options.out_fd;
    emit(fd, m_options.color ? format_line(level, service, message, true) : file_line, file_line);
}

void Logger::progress(std::string_view key, std::string_view service, std::string_view message) {
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (m_options.live_progress && m_options.format == LogFormat::text) {
        std::string line = format_line(util::Level::info, service, message, true);
        line.pop_back();  // no newline: the next line overwrites it
        write_all(m_options.out_fd, "\r\033[K" + line);
        m_live_line_shown = true;
    }
    auto it = m_last_progress.find(key);
    if (it != m_last_progress.end() && now - it->second < m_options.progress_every) {
        return;
    }
    m_last_progress[std::string(key)] = now;
    const std::string file_line = format_line(util::Level::info, service, message, false);
    if (m_options.live_progress && m_options.format == LogFormat::text) {
        if (m_file_fd >= 0) {
            write_all(m_file_fd, file_line);
        }
        return;
    }
    if (shown(util::Level::info, m_options.verbosity)) {
        emit(m_options.out_fd, file_line, file_line);
    }
}

void Logger::summary(std::string_view line) {
    std::lock_guard lock(m_mutex);
    std::string out;
    if (m_options.format == LogFormat::json) {
        out = nlohmann::json{{"summary", util::sanitize_line(mask(line), k_max_line - 20)}}.dump() +
              "\n";
    } else {
        out = util::sanitize_line(mask(line), k_max_line) + "\n";
    }
    emit(m_options.out_fd, out, out);
}

void Logger::verdict(std::string_view line) {
    summary(line);
}

bool Logger::open_file(const std::string& path, std::string& error) {
    std::lock_guard lock(m_mutex);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        error = "cannot open log file " + path + ": " + std::strerror(errno);
        return false;
    }
    m_file_fd = fd;
    m_file_path = path;
    for (const auto& line : m_early_lines) {
        write_all(m_file_fd, line);
    }
    m_early_lines.clear();
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
