#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "os/fs/filesystem.hpp"

namespace stagehand::os {
namespace {

using util::errno_error;

FileType type_of(mode_t mode) {
    if (S_ISREG(mode)) {
        return FileType::regular;
    }
    if (S_ISDIR(mode)) {
        return FileType::directory;
    }
    if (S_ISLNK(mode)) {
        return FileType::symlink;
    }
    return FileType::other;
}

FileInfo info_of(const struct stat& st) {
    FileInfo info;
    info.type = type_of(st.st_mode);
    info.mode = st.st_mode & 07777;
    info.uid = st.st_uid;
    info.gid = st.st_gid;
    info.size = st.st_size;
    info.dev = st.st_dev;
    info.ino = st.st_ino;
    info.mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return info;
}

// k_temp_suffix_length (16) random characters from [a-z0-9]. getrandom never blocks once the pool
// is initialised; at early boot it may, so GRND_NONBLOCK with a fallback keeps us from hanging.
std::string random_suffix() {
    static constexpr std::string_view k_chars = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::array<unsigned char, k_temp_suffix_length> bytes{};
    if (::getrandom(bytes.data(), bytes.size(), GRND_NONBLOCK) !=
        static_cast<ssize_t>(bytes.size())) {
        auto seed = static_cast<unsigned long long>(::getpid()) ^
                    static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(&bytes));
        for (auto& b : bytes) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            b = static_cast<unsigned char>(seed >> 56);
        }
    }
    std::string out;
    for (unsigned char b : bytes) {
        out += k_chars[b % k_chars.size()];
    }
    return out;
}

// The entry names of an open folder (no "." or ".."), sorted. Takes `fd` over: closedir
// closes it. Pass a duplicate when the caller still needs its own fd.
util::Result<std::vector<std::string>> names_in(UniqueFd fd, const std::string& shown) {
    if (!fd.valid()) {
        return errno_error("failed to list " + shown, errno);
    }
    DIR* dir = ::fdopendir(fd.get());
    if (dir == nullptr) {
        return errno_error("failed to list " + shown, errno);
    }
    fd.release();  // the DIR owns it now
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name != "." && name != "..") {
            names.emplace_back(name);
        }
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) {
        return errno_error("failed to list " + shown, err);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Removes every entry of the open folder `dir_fd`. `dev` is the device of the top folder:
// an entry on another device is a mount point, and removal refuses to cross it.
util::Status empty_dir_fd(int dir_fd, dev_t dev, const std::string& shown, int depth) {
    if (depth > 256) {
        return util::Error{"refusing to remove " + shown + ": nested deeper than 256 folders",
                           ELOOP};
    }
    // F_DUPFD_CLOEXEC, not dup(): every fd we hold stays close-on-exec.
    auto names = names_in(UniqueFd(::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)), shown);
    if (!names) {
        return names.error();
    }
    for (const auto& name : *names) {
        const std::string child = join_path(shown, name);
        struct stat st {};
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) {
                continue;  // removed under us: the goal is reached anyway
            }
            return errno_error("failed to stat " + child, errno);
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                return util::Error{
                    "refusing to remove " + child + ": it is a mount point (another filesystem)",
                    EXDEV};
            }
            UniqueFd sub(
                ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub.valid()) {
                return errno_error("failed to open " + child, errno);
            }
            if (auto st_sub = empty_dir_fd(sub.get(), dev, child, depth + 1); !st_sub) {
                return st_sub;
            }
        }
        const int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
        if (::unlinkat(dir_fd, name.c_str(), flags) != 0 && errno != ENOENT) {
            return errno_error("failed to remove " + child, errno);
        }
    }
    return {};
}

}  // namespace

std::string parent_path(std::string_view path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string_view::npos) {
        return ".";
    }
    if (slash == 0) {
        return "/";
    }
    return std::string(path.substr(0, slash));
}

std::string join_path(std::string_view dir, std::string_view name) {
    std::string out(dir);
    if (out.empty() || out.back() != '/') {
        out += '/';
    }
    while (!name.empty() && name.front() == '/') {
        name.remove_prefix(1);
    }
    out += name;
    return out;
}

util::Result<std::string> PosixFileSystem::read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
        return errno_error("failed to open " + path, errno);
    }
    std::string content;
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("failed to read " + path, errno);
        }
        if (n == 0) {
            return content;
        }
        content.append(buffer.data(), static_cast<std::size_t>(n));
    }
}

util::Result<FileInfo> PosixFileSystem::stat(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return errno_error("failed to stat " + path, errno);
    }
    return info_of(st);
}

util::Result<FileInfo> PosixFileSystem::lstat(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return errno_error("failed to stat " + path, errno);
    }
    return info_of(st);
}

util::Result<TempFile> PosixFileSystem::create_temp(const std::string& dir, unsigned mode) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::string path = join_path(dir, std::string(k_temp_prefix) + random_suffix());
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                           static_cast<mode_t>(mode)));
        if (fd.valid()) {
            return TempFile{std::move(fd), std::move(path)};
        }
        if (errno != EEXIST) {
            return errno_error("failed to create a temporary file in " + dir, errno);
        }
    }
    return util::Error{"failed to create a temporary file in " + dir + ": names kept colliding",
                       EEXIST};
}

util::Status PosixFileSystem::write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error("write", errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

util::Status PosixFileSystem::fsync(int fd) {
    if (::fsync(fd) != 0) {
        return errno_error("fsync", errno);
    }
    return {};
}

util::Status PosixFileSystem::fchown(int fd, uid_t uid, gid_t gid) {
    if (::fchown(fd, uid, gid) != 0) {
        return errno_error("chown", errno);
    }
    return {};
}

util::Status PosixFileSystem::fchmod(int fd, unsigned mode) {
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
        return errno_error("chmod", errno);
    }
    return {};
}

util::Status PosixFileSystem::rename(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        return errno_error("failed to rename " + from + " to " + to, errno);
    }
    return {};
}

util::Status PosixFileSystem::unlink(const std::string& path) {
    if (::unlink(path.c_str()) != 0) {
        return errno_error("failed to remove " + path, errno);
    }
    return {};
}

util::Result<std::vector<std::string>> PosixFileSystem::list_dir(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
        return errno_error("failed to open " + path, errno);
    }
    return names_in(std::move(fd), path);
}

util::Status PosixFileSystem::empty_dir(const std::string& dir) {
    // O_NOFOLLOW: the folder itself must not be a symlink either (the safety rules refuse
    // that earlier; this is the last line of defence).
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
        const int err = errno;
        struct stat link {};
        // Linux says ENOTDIR (not ELOOP) for O_DIRECTORY|O_NOFOLLOW on a symlink.
        if ((err == ENOTDIR || err == ELOOP) && ::lstat(dir.c_str(), &link) == 0 &&
            S_ISLNK(link.st_mode)) {
            return util::Error{"refusing to empty " + dir + ": it is a symlink", ELOOP};
        }
        return errno_error("failed to open " + dir, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return errno_error("failed to stat " + dir, errno);
    }
    return empty_dir_fd(fd.get(), st.st_dev, dir, 0);
}

util::Status PosixFileSystem::make_dirs(const std::string& path, unsigned mode) {
    if (path.empty() || path == "/" || path == ".") {
        return {};
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return {};
        }
        return util::Error{"failed to create folder " + path + ": a file is in the way", ENOTDIR};
    }
    if (auto parent = make_dirs(parent_path(path), mode); !parent) {
        return parent;
    }
    if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
        return errno_error("failed to create folder " + path, errno);
    }
    return {};
}

util::Result<std::string> PosixFileSystem::real_path(const std::string& path) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) {
        return errno_error("failed to resolve " + path, errno);
    }
    std::string out(resolved);
    std::free(resolved);  // NOLINT: realpath's contract
    return out;
}

util::Status PosixFileSystem::fsync_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) {
        return errno_error("failed to open " + dir, errno);
    }
    if (::fsync(fd.get()) != 0) {
        return errno_error("failed to fsync " + dir, errno);
    }
    return {};
}

}  // namespace stagehand::os
