#pragma once
// Test harness for the staging step: a temp tree (bundle, state_dir, destinations), fakes
// for Docker (tests/support) and compose that record what they were asked, and a snapshot of a
// folder tree to prove that "nothing was touched". Shared by stage_step_test and
// stage_install_test.

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "os/fs/filesystem.hpp"
#include "steps/context.hpp"
#include "steps/stage/stage_step.hpp"
#include "support/fake_docker.hpp"
#include "support/no_runner.hpp"
#include "support/recording_log.hpp"

namespace stagehand::steps::testing {

namespace stdfs = std::filesystem;

using stagehand::testing::FakeDocker;
using stagehand::testing::NoRunner;
using stagehand::testing::RecordingLog;

class FakeCompose final : public os::Compose {
  public:
    std::string describe() const override { return "fake compose"; }
    util::Status up_service(const std::string&, os::MonoTime, const os::Cancel&) override {
        return util::Error{"not used", ENOSYS};
    }
    util::Status stop_services(const std::vector<std::string>& services, int timeout_seconds,
                               os::MonoTime, const os::Cancel&) override {
        stopped.push_back(services);
        timeouts.push_back(timeout_seconds);
        return fail_stop ? util::Status{util::Error{"compose stop exited with 1", 0}}
                         : util::Status{};
    }

    std::vector<std::vector<std::string>> stopped;
    std::vector<int> timeouts;
    bool fail_stop = false;
};

inline os::ContainerState container(const std::string& service, bool running,
                                    const std::string& image, const std::string& image_id) {
    os::ContainerState c;
    c.id = "id-" + service;
    c.name = "shop-" + service + "-1";
    c.service = service;
    c.running = running;
    c.status = running ? "running" : "exited";
    c.image = image;
    c.image_id = image_id;
    return c;
}

// One entry of a tree snapshot: everything that "unchanged" must preserve.
struct Entry {
    char type = '?';
    std::string content;  // file content or symlink target
    unsigned mode = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    ino_t ino = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Entry&) const = default;
};

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::string& path, const std::string& content, unsigned mode = 0644) {
    stdfs::create_directories(stdfs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    ::chmod(path.c_str(), mode);
}

inline std::map<std::string, Entry> snapshot(const std::string& root) {
    std::map<std::string, Entry> out;
    for (const auto& e : stdfs::recursive_directory_iterator(root)) {
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        Entry entry;
        entry.type = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'f';
        entry.mode = st.st_mode & 07777;
        entry.uid = st.st_uid;
        entry.gid = st.st_gid;
        entry.ino = st.st_ino;
        if (entry.type == 'f') {
            entry.content = read_text(e.path());
            entry.mtime_ns = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
        } else if (entry.type == 'l') {
            entry.content = stdfs::read_symlink(e.path());
        }
        out[e.path().string()] = entry;
    }
    return out;
}

inline std::vector<std::string> temp_files_under(const std::string& root) {
    std::vector<std::string> out;
    for (const auto& e : stdfs::recursive_directory_iterator(root)) {
        if (e.path().filename().string().rfind(std::string(os::k_temp_prefix), 0) == 0) {
            out.push_back(e.path());
        }
    }
    return out;
}

// A temp tree per test: <root>/bundle, <root>/state, <root>/dest. Unmounts what it mounted.
class StageTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/stagehand-stage-XXXXXX";
        ASSERT_NE(::mkdtemp(name), nullptr);
        root = name;
        bundle = root + "/bundle";
        state = root + "/state";
        dest = root + "/dest";
        stdfs::create_directories(bundle);
        stdfs::create_directories(dest);
        // A host whose only mount is "/": the tree is on it.
        write_text(root + "/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    }
    void TearDown() override {
        for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
            ::umount2(it->c_str(), MNT_DETACH);
        }
        stdfs::remove_all(root);
    }
    void mount_tmpfs(const std::string& at, const std::string& size) {
        stdfs::create_directories(at);
        ASSERT_EQ(::mount("tmpfs", at.c_str(), "tmpfs", 0, ("size=" + size).c_str()), 0)
            << std::strerror(errno);
        mounts.push_back(at);
    }
    StageInputs inputs() const {
        StageInputs in;
        in.state_dir = state;
        in.log_dir = root + "/log";
        in.bundle_dir = bundle;
        in.project = "shop";
        in.deployment_id = "d-1";
        in.etc_dir = std::string(STAGEHAND_FIXTURES) + "/stage";
        in.mountinfo_path = root + "/mountinfo";
        in.start_order = {"db", "api", "web"};
        in.images = {"shop/api:2", "postgres:16"};
        return in;
    }
    static core::StageFile file(const std::string& source, const std::string& destination) {
        core::StageFile f;
        f.source = source;
        f.destination = destination;
        f.mark = core::SourceMark{"stagehand.yml", 7, 5};
        return f;
    }
    Context context() {
        return Context{clock,   cancel,  clock.now() + std::chrono::minutes(10), log, runner,
                       &docker, &compose};
    }
    // Validates (must pass) and runs with `fs`.
    StageOutcome stage(const StageInputs& in, os::FileSystem& fs) {
        auto ctx = context();
        os::PosixFileSystem real;
        StageStep check(ctx, real, in);
        auto validation = check.validate();
        EXPECT_TRUE(validation) << validation.error().message;
        if (!validation) {
            return StageOutcome{validation.error(), {}, false};
        }
        for (const auto& p : validation->problems) {
            ADD_FAILURE() << p.format();
        }
        StageStep step(ctx, fs, in);
        return step.run(validation->plan);
    }
    StageOutcome stage(const StageInputs& in) {
        os::PosixFileSystem real;
        return stage(in, real);
    }

    std::string root, bundle, state, dest;
    std::vector<std::string> mounts;
    os::SystemClock clock;
    os::Cancel cancel;
    RecordingLog log;
    NoRunner runner;
    FakeDocker docker;
    FakeCompose compose;
};

}  // namespace stagehand::steps::testing
