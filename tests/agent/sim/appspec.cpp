#include "sim/appspec.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace stagehand::agent {

namespace {

using util::Error;

std::string strip(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r\n\f\v");
    if (first == std::string::npos) {
        return "";
    }
    return text.substr(first, text.find_last_not_of(" \t\r\n\f\v") - first + 1);
}

bool is_null(const YAML::Node& node) {
    return !node.IsDefined() || node.IsNull();
}

std::string scalar_text(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : "";
}

// Psych loads an unquoted 0, 0.0, -0.0 as a number equal to 0.0 (accepted); a quoted "0.0" is
// a String (rejected).
util::Status check_version(const YAML::Node& version) {
    if (!is_null(version) && version.IsScalar() && version.Tag() == "?") {
        const std::string text = version.Scalar();
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (!text.empty() && end != nullptr && *end == '\0' && value == 0.0) {
            return {};
        }
    }
    return Error{"The deployment failed because an invalid version value (" + scalar_text(version) +
                 ") was entered in the application specification file. Make sure your AppSpec "
                 "file specifies \"0.0\" as the version, and then try again."};
}

util::Status check_os(const YAML::Node& os) {
    if (!is_null(os) && os.IsScalar() && os.Scalar() == "linux") {
        return {};
    }
    return Error{
        "The deployment failed because the application specification file specifies "
        "an unsupported operating system (" +
        scalar_text(os) +
        "). Specify either \"linux\" or \"windows\" in the os section of the AppSpec "
        "file, and then try again."};
}

// YAML 1.1 (Psych) booleans; any other non-null value is truthy in Ruby.
bool truthy(const YAML::Node& node) {
    if (is_null(node)) {
        return false;
    }
    static const char* const k_false[] = {"false", "False", "FALSE", "no", "No",
                                          "NO",    "off",   "Off",   "OFF"};
    for (const char* word : k_false) {
        if (node.IsScalar() && node.Tag() == "?" && node.Scalar() == word) {
            return false;
        }
    }
    return true;
}

util::Result<ScriptEntry> parse_script(const YAML::Node& node) {
    const char* const no_location =
        "The deployment failed because the application specification file specifies a script "
        "with no location value. Specify the location in the hooks section of the AppSpec "
        "file, and then try again.";
    if (!node.IsMap() || is_null(node["location"]) ||
        strip(scalar_text(node["location"])).empty()) {
        return Error{no_location};
    }
    ScriptEntry script;
    script.location = strip(node["location"].Scalar());
    if (!is_null(node["timeout"])) {
        const long long timeout = ruby_to_i(scalar_text(node["timeout"]));
        if (timeout <= 0) {
            return Error{
                "The deployment failed because an invalid timeout value was provided "
                "for a script in the application specification file. Make corrections "
                "in the hooks section of the AppSpec file, and then try again."};
        }
        script.timeout_s = static_cast<int>(std::min<long long>(timeout, INT_MAX));
    }
    if (!is_null(node["runas"])) {
        script.runas = strip(scalar_text(node["runas"]));
    }
    script.sudo = truthy(node["sudo"]);
    return script;
}

util::Status parse_hooks(const YAML::Node& hooks, Appspec& spec) {
    if (is_null(hooks)) {
        return {};
    }
    if (!hooks.IsMap()) {
        return Error{
            "The deployment failed because the hooks section of the application "
            "specification file is not a mapping of lifecycle events to scripts."};
    }
    for (const auto& pair : hooks) {
        const std::string event = pair.first.as<std::string>();
        if (!pair.second.IsSequence()) {
            // Ruby: `scripts.each` on a non-list raises NoMethodError.
            return Error{
                "The deployment failed because the hooks section lists no scripts (a "
                "list of location entries) for " +
                event + "."};
        }
        auto& scripts = spec.hooks[event];
        for (const auto& node : pair.second) {
            auto script = parse_script(node);
            if (!script) {
                return script.error();
            }
            scripts.push_back(std::move(*script));
        }
    }
    return {};
}

util::Status parse_files(const YAML::Node& files, Appspec& spec) {
    if (is_null(files)) {
        return {};
    }
    if (!files.IsSequence()) {
        return Error{
            "The deployment failed because the files section of the application "
            "specification file is not a list of source/destination entries."};
    }
    for (const auto& node : files) {
        const YAML::Node source = node.IsMap() ? node["source"] : YAML::Node();
        const YAML::Node destination = node.IsMap() ? node["destination"] : YAML::Node();
        if (is_null(source)) {
            return Error{
                "The deployment failed because the application specification file "
                "specifies a destination file, but no source file. Update the files "
                "section of the AppSpec file, and then try again."};
        }
        if (is_null(destination)) {
            return Error{
                "The deployment failed because the application specification file "
                "specifies only a source file (" +
                scalar_text(source) +
                "). Add the name of the destination file to the files section of the "
                "AppSpec file, and try again."};
        }
        spec.files.push_back(FileEntry{scalar_text(source), scalar_text(destination)});
    }
    return {};
}

}  // namespace

long long ruby_to_i(const std::string& text) {
    std::size_t i = text.find_first_not_of(" \t\r\n\f\v");
    if (i == std::string::npos) {
        return 0;
    }
    const bool negative = text[i] == '-';
    if (text[i] == '+' || text[i] == '-') {
        ++i;
    }
    long long value = 0;
    for (; i < text.size(); ++i) {
        const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
        const bool joiner = text[i] == '_' && i > 0 && i + 1 < text.size() &&
                            std::isdigit(static_cast<unsigned char>(text[i - 1])) != 0 &&
                            std::isdigit(static_cast<unsigned char>(text[i + 1])) != 0;
        if (!digit && !joiner) {
            break;
        }
        if (digit) {
            value = std::min<long long>(value * 10 + (text[i] - '0'), INT_MAX);
        }
    }
    return negative ? -value : value;
}

util::Result<Appspec> parse_appspec(const std::string& text) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        return Error{"appspec.yml is not valid YAML: " + std::string(e.what())};
    }
    if (!root.IsMap()) {
        return check_version(YAML::Node()).error();
    }
    Appspec spec;
    for (const util::Status& status :
         {check_version(root["version"]), check_os(root["os"]), parse_hooks(root["hooks"], spec),
          parse_files(root["files"], spec)}) {
        if (!status) {
            return status.error();
        }
    }
    if (!is_null(root["file_exists_behavior"])) {
        spec.file_exists_behavior = scalar_text(root["file_exists_behavior"]);
    }
    return spec;
}

util::Result<Appspec> load_appspec(const std::filesystem::path& archive_dir) {
    std::filesystem::path path = archive_dir / "appspec.yml";
    if (!std::filesystem::exists(path) && std::filesystem::exists(archive_dir / "appspec.yaml")) {
        path = archive_dir / "appspec.yaml";
    }
    std::ifstream file(path);
    if (!file) {
        return Error{
            "The CodeDeploy agent did not find an AppSpec file within the unpacked "
            "revision directory at revision-relative path \"appspec.yml\". The revision "
            "was unpacked to directory \"" +
            archive_dir.string() +
            "\", and the AppSpec file was expected but not found at path \"" + path.string() +
            "\". Consult the AWS CodeDeploy Appspec documentation for more information "
            "at http://docs.aws.amazon.com/codedeploy/latest/userguide/"
            "reference-appspec-file.html"};
    }
    std::ostringstream text;
    text << file.rdbuf();
    return parse_appspec(text.str());
}

}  // namespace stagehand::agent
