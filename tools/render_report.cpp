// stagehand-report: renders a deployment report (state_dir/reports/<id>.json) as the SVG
// timeline after-install --svg writes, for reports of past runs or from another host.
//   stagehand-report REPORT.json [-o OUT.svg]      (default: the SVG on stdout)
// Exit status: 0 written, 1 the report cannot be read or parsed or OUT cannot be written,
// 2 bad usage.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/report/svg.hpp"

namespace {

constexpr int k_failed = 1;
constexpr int k_usage = 2;

struct Arguments {
    std::string report;
    std::optional<std::string> out;
};

int usage_error(const std::string& message) {
    std::cerr << "stagehand-report: " << message
              << "\nusage: stagehand-report REPORT.json [-o OUT.svg]\n";
    return k_usage;
}

// Fills `arguments`; returns an exit status when the program should stop now.
std::optional<int> parse_arguments(const std::vector<std::string>& args, Arguments& arguments) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h" || arg == "--help") {
            std::cout << "usage: stagehand-report REPORT.json [-o OUT.svg]\n"
                         "Renders a stagehand deployment report as an SVG timeline "
                         "(stdout unless -o).\n";
            return 0;
        }
        if (arg == "-o" || arg == "--output") {
            if (i + 1 >= args.size()) {
                return usage_error(arg + " needs a file name");
            }
            arguments.out = args[++i];
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            return usage_error("unknown option " + arg);
        } else if (arguments.report.empty()) {
            arguments.report = arg;
        } else {
            return usage_error("unexpected argument \"" + arg + "\"");
        }
    }
    if (arguments.report.empty()) {
        return usage_error("no report given");
    }
    return std::nullopt;
}

std::optional<std::string> read_all(const std::string& path) {
    if (path == "-") {
        std::stringstream buffer;
        buffer << std::cin.rdbuf();
        return buffer.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return in.bad() ? std::nullopt : std::optional<std::string>(buffer.str());
}

bool write_all(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Arguments arguments;
        if (auto stop =
                parse_arguments(std::vector<std::string>(argv + 1, argv + argc), arguments)) {
            return *stop;
        }
        const auto text = read_all(arguments.report);
        if (!text) {
            std::cerr << "stagehand-report: cannot read " << arguments.report << "\n";
            return k_failed;
        }
        const auto report = nlohmann::json::parse(*text, nullptr, false);
        if (report.is_discarded()) {
            std::cerr << "stagehand-report: " << arguments.report << " is not valid JSON\n";
            return k_failed;
        }
        const std::string svg = stagehand::core::render_report_svg(report);
        if (!arguments.out) {
            std::cout << svg;
            return std::cout.good() ? 0 : k_failed;
        }
        if (!write_all(*arguments.out, svg)) {
            std::cerr << "stagehand-report: cannot write " << *arguments.out << "\n";
            return k_failed;
        }
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "stagehand-report: internal error: " << error.what() << "\n";
        return k_failed;
    }
}
