#include "runtime/log_format.hpp"

#include <string_view>

#include <spdlog/pattern_formatter.h>

namespace stagehand::runtime {

namespace {

// %* : the level in capitals, as the text format has always printed it ("WARN", not spdlog's
// "warning").
class UpperLevelFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        const std::string_view name = level_name(msg.level);
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<UpperLevelFlag>();
    }

  private:
    static std::string_view level_name(spdlog::level::level_enum level) {
        switch (level) {
            case spdlog::level::debug:
                return "DEBUG";
            case spdlog::level::warn:
                return "WARN";
            case spdlog::level::err:
                return "ERROR";
            default:
                return "INFO";
        }
    }
};

std::unique_ptr<spdlog::pattern_formatter> pattern(const char* text) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(
        spdlog::pattern_time_type::local, std::string("\n"));
    // The pattern is compiled by set_pattern: custom flags must be known before.
    formatter->add_flag<UpperLevelFlag>('*').set_pattern(text);
    return formatter;
}

// Events through the format's pattern; summary lines as their payload.
class LineFormatter final : public spdlog::formatter {
  public:
    explicit LineFormatter(LogFormat format) : m_format(format) {
        m_event = pattern(format == LogFormat::json ? R"({"time":"%H:%M:%S","level":"%*",%v})"
                                                    : "%H:%M:%S %^%*%$ %v");
        m_summary = pattern("%v");
    }
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        (msg.level == k_summary_level ? m_summary : m_event)->format(msg, dest);
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<LineFormatter>(m_format);
    }

  private:
    LogFormat m_format;
    std::unique_ptr<spdlog::pattern_formatter> m_event;
    std::unique_ptr<spdlog::pattern_formatter> m_summary;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
    return std::make_unique<LineFormatter>(format);
}

}  // namespace stagehand::runtime
