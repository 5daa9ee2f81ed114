#include "sim/script_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include "sim/errors.hpp"

namespace stagehand::agent {

namespace {

bool in_range(unsigned char byte, unsigned char low, unsigned char high) {
    return byte >= low && byte <= high;
}

// Length of the well-formed UTF-8 sequence starting at pos (Unicode table 3-7), 0 if none.
std::size_t sequence_length(std::string_view text, std::size_t pos) {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const std::size_t left = text.size() - pos;
    const unsigned char lead = at(0);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t need = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (in_range(lead, 0xC2, 0xDF)) {
        need = 2;
    } else if (in_range(lead, 0xE0, 0xEF)) {
        need = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
        high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    } else if (in_range(lead, 0xF0, 0xF4)) {
        need = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing past U+10FFFF
    } else {
        return 0;
    }
    if (left < need || !in_range(at(1), low, high)) {
        return 0;
    }
    for (std::size_t i = 2; i < need; ++i) {
        if (!in_range(at(i), 0x80, 0xBF)) {
            return 0;
        }
    }
    return need;
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;  // a full disk or a closed stderr must not stop the hook's supervision
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t n = sequence_length(text, pos);
        if (n == 0) {
            return false;
        }
        pos += n;
    }
    return true;
}

std::size_t ruby_length(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t pos = 0; pos < text.size(); ++count) {
        const std::size_t n = sequence_length(text, pos);
        pos += n == 0 ? 1 : n;
    }
    return count;
}

void ScriptLog::append(std::string entry) {
    const auto length = static_cast<long>(ruby_length(entry));
    m_entries.push_back(Entry{std::move(entry), length});
    // A transcription of append_to_log. After `index -= 1` Ruby reads @log[index - 1], i.e. the
    // next older entry, so each older entry is charged twice; at index 0 it reads @log[-1] (the
    // newest), which no longer matters because the loop ends there.
    const std::size_t size = m_entries.size();
    std::size_t index = size;
    long remaining = k_tail_budget;
    while (index > 0 && remaining - m_entries[index - 1].length > 0) {
        --index;
        remaining -= m_entries[index == 0 ? size - 1 : index - 1].length;
    }
    if (index > 0) {
        m_entries.erase(m_entries.begin(), m_entries.begin() + static_cast<long>(index));
    }
}

std::vector<std::string> ScriptLog::entries() const {
    std::vector<std::string> out;
    out.reserve(m_entries.size());
    for (const auto& entry : m_entries) {
        out.push_back(entry.text);
    }
    return out;
}

std::string ScriptLog::joined() const {
    std::string out;
    for (const auto& entry : m_entries) {
        out += entry.text;
    }
    return out;
}

bool ScriptLog::all_valid_utf8() const {
    for (const auto& entry : m_entries) {
        if (!is_valid_utf8(entry.text)) {
            return false;
        }
    }
    return true;
}

nlohmann::ordered_json diagnostic_payload(int error_code, const std::string& script_name,
                                          const std::string& message, const ScriptLog& log) {
    nlohmann::ordered_json payload;
    if (!log.all_valid_utf8() || !is_valid_utf8(message) || !is_valid_utf8(script_name)) {
        // command_poller.rb, gather_diagnostics_from_script_error's rescue branch (sic).
        payload["error_code"] = "Unknown";
        payload["script_name"] = is_valid_utf8(script_name) ? script_name : "";
        payload["message"] = "Attempting minimal diagnostics";
        payload["log"] = "Exception JSON::GeneratorError occured";
        return payload;
    }
    payload["error_code"] = error_code;
    payload["script_name"] = script_name;
    payload["message"] = message;
    payload["log"] = log.joined();
    return payload;
}

std::string console_tail(const ScriptLog& log, const std::string& script_name) {
    if (log.all_valid_utf8()) {
        return log.joined();
    }
    return diagnostic_payload(0, script_name, "", log).dump();
}

std::string agent_timestamp(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char text[32];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    return std::string(text, n);
}

util::Result<ScriptLogger> ScriptLogger::open(
    const std::optional<std::filesystem::path>& scripts_log, bool echo) {
    UniqueFd file;
    if (scripts_log) {
        std::error_code ec;
        std::filesystem::create_directories(scripts_log->parent_path(), ec);
        if (ec) {
            return util::Error{
                "failed to create " + scripts_log->parent_path().string() + ": " + ec.message(),
                ec.value()};
        }
        file.reset(::open(scripts_log->c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        if (!file.valid()) {
            return errno_failure("failed to open " + scripts_log->string(), errno);
        }
    }
    return ScriptLogger(std::move(file), echo);
}

void ScriptLogger::begin_event(const std::string& event) {
    m_log = ScriptLog{};
    log_script("LifecycleEvent - " + event + "\n");
}

void ScriptLogger::log_script(const std::string& message) {
    m_log.append(message);
    const std::string stamped = agent_timestamp(std::chrono::system_clock::now()) + " " + message;
    if (m_file.valid()) {
        write_all(m_file.get(), stamped);
    }
    if (m_echo) {
        write_all(STDERR_FILENO, stamped);
        if (stamped.back() != '\n') {
            write_all(STDERR_FILENO, "\n");
        }
    }
}

}  // namespace stagehand::agent
