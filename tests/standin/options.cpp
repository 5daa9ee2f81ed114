// Flag parsing for the stand-in: an option table as data, one setter per flag.
#include <charconv>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "standin.hpp"

namespace stagehand::standin {
namespace {

bool to_double(const std::string& text, double& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && out >= 0;
}

bool to_long(const std::string& text, long& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && out >= 0;
}

std::optional<Mode> to_mode(const std::string& text) {
    static const std::pair<const char*, Mode> k_modes[] = {
        {"normal", Mode::normal}, {"crash", Mode::crash},     {"hang", Mode::hang},
        {"flap", Mode::flap},     {"http500", Mode::http500}, {"exit0", Mode::exit0},
    };
    for (const auto& [name, mode] : k_modes) {
        if (text == name) {
            return mode;
        }
    }
    return std::nullopt;
}

std::optional<Listen> to_listen(const std::string& text) {
    static const std::pair<const char*, Listen> k_listens[] = {
        {"early", Listen::early}, {"late", Listen::late}, {"never", Listen::never}};
    for (const auto& [name, listen] : k_listens) {
        if (text == name) {
            return listen;
        }
    }
    return std::nullopt;
}

// A setter returns false when the value is invalid.
using Setter = std::function<bool(Options&, const std::string&)>;

struct Flag {
    const char* name;
    Setter set;
};

bool set_seconds(double& field, const std::string& v) {
    return to_double(v, field);
}

const std::vector<Flag>& flags() {
    static const std::vector<Flag> k_flags = {
        {"--name", [](Options& o, const std::string& v) { return !(o.name = v).empty(); }},
        {"--peak-mib", [](Options& o, const std::string& v) { return to_long(v, o.peak_mib); }},
        {"--steady-mib",
         [](Options& o, const std::string& v) {
             long mib = 0;
             if (!to_long(v, mib)) {
                 return false;
             }
             o.steady_mib = mib;
             return true;
         }},
        {"--ramp-s", [](Options& o, const std::string& v) { return set_seconds(o.ramp_s, v); }},
        {"--cpu-s", [](Options& o, const std::string& v) { return set_seconds(o.cpu_s, v); }},
        {"--port",
         [](Options& o, const std::string& v) {
             long port = 0;
             if (!to_long(v, port) || port > 65535) {
                 return false;
             }
             o.port = static_cast<int>(port);
             return true;
         }},
        {"--mode",
         [](Options& o, const std::string& v) {
             auto mode = to_mode(v);
             o.mode = mode.value_or(Mode::normal);
             return mode.has_value();
         }},
        {"--listen",
         [](Options& o, const std::string& v) {
             auto listen = to_listen(v);
             o.listen = listen.value_or(Listen::late);
             return listen.has_value();
         }},
        {"--peak-file",
         [](Options& o, const std::string& v) { return !(o.peak_file = v).empty(); }},
        {"--crash-after-s",
         [](Options& o, const std::string& v) { return set_seconds(o.crash_after_s, v); }},
        {"--flap-after-s",
         [](Options& o, const std::string& v) { return set_seconds(o.flap_after_s, v); }},
        {"--flap-marker",
         [](Options& o, const std::string& v) { return !(o.flap_marker = v).empty(); }},
        {"--require", [](Options& o, const std::string& v) { return !(o.require = v).empty(); }},
        {"--require-timeout-s",
         [](Options& o, const std::string& v) { return set_seconds(o.require_timeout_s, v); }},
        {"--probe", [](Options& o, const std::string& v) { return !(o.probe_url = v).empty(); }},
        {"--timeout-s",
         [](Options& o, const std::string& v) { return set_seconds(o.probe_timeout_s, v); }},
    };
    return k_flags;
}

}  // namespace

std::string usage() {
    return "usage: standin --name NAME [--peak-mib N] [--steady-mib N] [--ramp-s S] [--cpu-s S]\n"
           "               [--port P] [--listen early|late|never] [--peak-file FILE]\n"
           "               [--mode normal|crash|hang|flap|http500|exit0]\n"
           "               [--crash-after-s S] [--flap-after-s S] [--flap-marker FILE]\n"
           "               [--require HOST:PORT] [--require-timeout-s S]\n"
           "       standin --probe http://HOST:PORT/PATH [--timeout-s S]\n";
}

std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            continue;
        }
        std::string value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            has_value = true;
        }
        const Flag* flag = nullptr;
        for (const auto& f : flags()) {
            if (arg == f.name) {
                flag = &f;
            }
        }
        if (flag == nullptr) {
            error = "unknown option '" + arg + "'";
            return std::nullopt;
        }
        if (!has_value) {
            if (i + 1 >= args.size()) {
                error = arg + ": missing value";
                return std::nullopt;
            }
            value = args[++i];
        }
        if (!flag->set(options, value)) {
            error = arg + ": invalid value '" + value + "'";
            return std::nullopt;
        }
    }
    if (!options.steady_mib) {
        options.steady_mib = options.peak_mib;
    }
    if (*options.steady_mib > options.peak_mib) {
        error = "--steady-mib must not exceed --peak-mib";
        return std::nullopt;
    }
    if (options.listen == Listen::early && options.port == 0) {
        error = "--listen early needs --port";
        return std::nullopt;
    }
    if (options.flap_marker.empty()) {
        options.flap_marker = "/tmp/standin-" + options.name + ".flapped";
    }
    return options;
}

}  // namespace stagehand::standin
