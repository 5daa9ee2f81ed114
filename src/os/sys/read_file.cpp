#include "os/sys/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "os/sys/unique_fd.hpp"

namespace stagehand::os {

util::Result<std::string> read_text_file(const std::string& path, std::size_t limit) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return util::errno_error("failed to open " + path, errno);
    }
    std::string text;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // EOPNOTSUPP here is how a kernel booted with psi=0 answers /proc/pressure/*.
            return util::errno_error("failed to read " + path, errno);
        }
        if (n == 0) {
            return text;
        }
        if (text.size() + static_cast<std::size_t>(n) > limit) {
            return util::Error{
                "failed to read " + path + ": larger than " + std::to_string(limit) + " bytes",
                E2BIG};
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace stagehand::os
