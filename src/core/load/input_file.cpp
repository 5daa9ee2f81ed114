#include "core/load/input_file.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/model/diagnostic.hpp"

namespace stagehand::core {

util::Result<std::string> read_text_file(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"),
                                                         &std::fclose);
    if (!file) {
        return util::errno_error("failed to read " + path, errno);
    }
    std::string text;
    std::array<char, 65536> buffer{};
    while (true) {
        std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        text.append(buffer.data(), n);
        if (text.size() > k_max_input_size) {
            return util::Error{"failed to read " + path + ": larger than 4 MiB", EFBIG};
        }
        if (n < buffer.size()) {
            break;
        }
    }
    if (std::ferror(file.get()) != 0) {
        // fopen succeeds on a folder on Linux; the read then fails with EISDIR.
        return util::errno_error("failed to read " + path, errno);
    }
    return text;
}

std::string read_input_file(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) {
        int code = text.error().code;
        std::string cause = code == EFBIG ? "larger than 4 MiB" : std::strerror(code);
        throw InputError(
            Diagnostic{SourceMark{path, 0, 0}, "", "cannot read the file: " + cause, ""});
    }
    return std::move(*text);
}

}  // namespace stagehand::core
