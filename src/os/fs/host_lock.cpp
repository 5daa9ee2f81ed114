#include "os/fs/host_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "os/fs/filesystem.hpp"

namespace stagehand::os {
namespace {

using Json = nlohmann::json;

std::string json_string(const Json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Replaces the lock file's content in place (never by rename, see the header).
void write_holder(int fd, const std::string& text) {
    if (::ftruncate(fd, 0) != 0) {
        return;
    }
    // The record is informational: a failed write must not fail the run that holds the
    // lock, waiters then report "an unknown process".
    // (glibc's warn_unused_result is not silenced by a (void) cast under _FORTIFY_SOURCE.)
    if (::pwrite(fd, text.data(), text.size(), 0) < 0) {
        return;
    }
}

util::Result<UniqueFd> open_lock_file(const std::string& path) {
    PosixFileSystem fs;
    if (auto st = fs.make_dirs(parent_path(path), 0755); !st) {
        return st.error();
    }
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd.valid()) {
        return util::errno_error("failed to open the lock file " + path, errno);
    }
    return fd;
}

}  // namespace

std::string LockHolder::to_json() const {
    const Json j = {{"pid", pid},
                    {"hook", hook},
                    {"project", project},
                    {"deployment_id", deployment_id},
                    {"started_at", started_at}};
    // The deployment id comes from the environment: invalid UTF-8 there must not throw.
    return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::optional<LockHolder> LockHolder::from_json(std::string_view text) {
    const Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    LockHolder h;
    const auto pid = j.find("pid");
    if (pid == j.end() || !pid->is_number_integer()) {
        return std::nullopt;
    }
    h.pid = pid->get<int>();
    h.hook = json_string(j, "hook");
    h.project = json_string(j, "project");
    h.deployment_id = json_string(j, "deployment_id");
    h.started_at = json_string(j, "started_at");
    return h;
}

std::string LockHolder::describe() const {
    std::string out = "PID " + std::to_string(pid) + " (" + (hook.empty() ? "?" : hook);
    if (!project.empty()) {
        out += ", project " + project;
    }
    if (!deployment_id.empty()) {
        out += ", deployment " + deployment_id;
    }
    if (!started_at.empty()) {
        out += ", since " + started_at;
    }
    return out + ")";
}

std::string HostLock::describe_holder(const std::string& path) {
    PosixFileSystem fs;
    auto text = fs.read_file(path);
    if (!text) {
        return "an unknown process";
    }
    const auto holder = LockHolder::from_json(*text);
    return holder ? holder->describe() : "an unknown process";
}

util::Result<HostLock> HostLock::acquire(const std::string& path, LockHolder me, MonoTime deadline,
                                         Clock& clock, const Cancel& cancel,
                                         const std::function<void(const std::string&)>& on_wait) {
    auto fd = open_lock_file(path);
    if (!fd) {
        return fd.error();
    }
    for (;;) {
        if (::flock(fd->get(), LOCK_EX | LOCK_NB) == 0) {
            me.pid = static_cast<int>(::getpid());
            write_holder(fd->get(), me.to_json());
            return HostLock(path, std::move(fd).value());
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EWOULDBLOCK) {
            return util::errno_error("failed to lock " + path, errno);
        }
        const std::string holder = describe_holder(path);
        if (cancel.fired()) {
            return util::Error{
                "cancelled while waiting for the lock " + path + ", held by " + holder, ECANCELED};
        }
        if (clock.now() >= deadline) {
            return util::Error{"timed out waiting for the lock " + path + ", held by " + holder,
                               ETIMEDOUT};
        }
        if (on_wait) {
            on_wait(holder);
        }
        (void)clock.sleep_until(std::min(clock.now() + k_poll, deadline), cancel);
    }
}

HostLock::~HostLock() {
    if (m_fd.valid()) {
        // Clear the record first: once unlocked, a stale record would name a finished run.
        if (::ftruncate(m_fd.get(), 0) != 0) {
            // Nothing to do: the unlock below is what matters.
        }
        (void)::flock(m_fd.get(), LOCK_UN);
    }
}

}  // namespace stagehand::os
