#include "runtime/log_sinks.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace stagehand::runtime {

namespace {

std::string_view level_color(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::debug:
            return "\033[2m";
        case spdlog::level::warn:
            return "\033[33m";
        case spdlog::level::err:
            return "\033[31;1m";
        default:
            return "\033[32m";
    }
}

}  // namespace

void write_line(int fd, std::string_view text) {
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

void FdSink::sink_it_(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const std::string_view line(formatted.data(), formatted.size());
    const int fd = msg.level == spdlog::level::err ? m_err_fd : m_out_fd;
    if (!m_color || msg.color_range_end <= msg.color_range_start) {
        write_line(fd, line);
        return;
    }
    // Built whole first: the colour codes and the text go out in the same write.
    std::string coloured(line.substr(0, msg.color_range_start));
    coloured += level_color(msg.level);
    coloured += line.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start);
    coloured += "\033[0m";
    coloured += line.substr(msg.color_range_end);
    write_line(fd, coloured);
}

}  // namespace stagehand::runtime
