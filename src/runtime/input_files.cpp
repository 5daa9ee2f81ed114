#include "runtime/input_files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/load/appspec_loader.hpp"
#include "core/load/compose_loader.hpp"
#include "core/load/config_loader.hpp"
#include "core/model/diagnostic.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::runtime {

std::string read_input_file(const std::string& path) {
    auto text = os::read_text_file(path, k_max_input_size);
    if (!text) {
        const int code = text.error().code;
        // E2BIG: os::read_text_file's "over the limit"; EISDIR: the path is a folder.
        const std::string cause = code == E2BIG ? "larger than 4 MiB" : std::strerror(code);
        throw core::InputError(core::Diagnostic{core::SourceMark{path, 0, 0}, "",
                                                "cannot read the file: " + cause, ""});
    }
    return std::move(*text);
}

core::Config load_config_file(const std::string& path) {
    return core::load_config_text(read_input_file(path), path);
}

core::Appspec load_appspec_file(const std::string& path) {
    return core::load_appspec_text(read_input_file(path), path);
}

core::ComposeFile load_compose_file(const std::string& path) {
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(path, error);
    const std::string name = error ? path : absolute.lexically_normal().string();
    return core::load_compose_text(read_input_file(name), name);
}

}  // namespace stagehand::runtime
