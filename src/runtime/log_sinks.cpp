#include "runtime/log_sinks.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

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

// Waits until the reader of pipe `fd` has taken everything written to it (FIONREAD on a pipe:
// the bytes still unread), at most `limit`; returns how long it waited. A pipe's POLLOUT says
// there is room, not that it is empty, hence the short sleeps.
std::chrono::milliseconds wait_until_read(int fd, std::chrono::milliseconds limit) {
    using std::chrono::steady_clock;
    constexpr std::chrono::milliseconds k_step{2};
    const auto begun = steady_clock::now();
    for (;;) {
        int unread = 0;
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - begun);
        if (::ioctl(fd, FIONREAD, &unread) != 0 || unread <= 0 || waited >= limit) {
            return waited;
        }
        std::this_thread::sleep_for(k_step);
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

FdSink::FdSink(int out_fd, int err_fd, bool color)
    : m_out_fd(out_fd), m_err_fd(err_fd), m_color(color) {
    struct stat out {};
    struct stat err {};
    m_err_is_own_pipe =
        out_fd != err_fd && ::fstat(err_fd, &err) == 0 && S_ISFIFO(err.st_mode) &&
        (::fstat(out_fd, &out) != 0 || out.st_dev != err.st_dev || out.st_ino != err.st_ino);
}

void FdSink::sink_it_(const spdlog::details::log_msg& msg) {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const std::string_view line(formatted.data(), formatted.size());
    const bool to_err = msg.level == spdlog::level::err;
    const int fd = to_err ? m_err_fd : m_out_fd;
    if (m_err_is_own_pipe) {
        if (!to_err && m_err_unread && m_drain_left.count() > 0) {
            m_drain_left -= wait_until_read(m_err_fd, m_drain_left);
        }
        m_err_unread = to_err;
    }
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
