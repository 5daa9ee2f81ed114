#include "os/fs/host_lock.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace stagehand::os {
namespace {

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

class FsHostLock : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/stagehand-lock-XXXXXX";
        ASSERT_NE(::mkdtemp(name), nullptr);
        m_dir = name;
        m_lock = m_dir + "/state/lock";
    }
    void TearDown() override {
        if (m_child > 0) {
            ::kill(m_child, SIGKILL);
            ::waitpid(m_child, nullptr, 0);
        }
        stdfs::remove_all(m_dir);
    }
    static LockHolder holder(const std::string& hook) {
        return LockHolder{0, hook, "shop", "d-TEST123", "2024-05-01T12:00:00Z"};
    }
    util::Result<HostLock> acquire(const std::string& hook, std::chrono::milliseconds wait,
                                   std::vector<std::string>* waits = nullptr) {
        return HostLock::acquire(m_lock, holder(hook), m_clock.now() + wait, m_clock, m_cancel,
                                 [&](const std::string& h) {
                                     if (waits != nullptr) {
                                         waits->push_back(h);
                                     }
                                 });
    }
    // Forks a child that takes the lock, reports through a pipe, then waits to be killed.
    void hold_in_child() {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        m_child = ::fork();
        ASSERT_GE(m_child, 0);
        if (m_child == 0) {
            ::close(fds[0]);
            SystemClock clock;
            Cancel cancel;
            auto lock = HostLock::acquire(m_lock, holder("after-install"), clock.now() + 5s, clock,
                                          cancel, nullptr);
            const char ok = lock ? 'y' : 'n';
            (void)::write(fds[1], &ok, 1);
            ::pause();
            ::_exit(0);
        }
        ::close(fds[1]);
        char ok = 0;
        ASSERT_EQ(::read(fds[0], &ok, 1), 1);
        ::close(fds[0]);
        ASSERT_EQ(ok, 'y');
    }

    std::string m_dir;
    std::string m_lock;
    SystemClock m_clock;
    Cancel m_cancel;
    pid_t m_child = -1;
};

TEST_F(FsHostLock, WritesTheHolderAndClearsItOnRelease) {
    {
        auto lock = acquire("before-install", 1s);
        ASSERT_TRUE(lock) << lock.error().message;
        std::ifstream in(m_lock);
        std::stringstream text;
        text << in.rdbuf();
        const auto h = LockHolder::from_json(text.str());
        ASSERT_TRUE(h.has_value()) << text.str();
        EXPECT_EQ(h->pid, ::getpid());
        EXPECT_EQ(h->hook, "before-install");
        EXPECT_EQ(h->project, "shop");
        EXPECT_EQ(h->deployment_id, "d-TEST123");
        EXPECT_EQ(h->started_at, "2024-05-01T12:00:00Z");
    }
    EXPECT_EQ(stdfs::file_size(m_lock), 0U);
    auto again = acquire("before-install", 1s);
    EXPECT_TRUE(again) << again.error().message;
}

TEST_F(FsHostLock, SecondAcquireWaitsAndTimesOutNamingTheHolder) {
    auto first = acquire("after-install", 1s);
    ASSERT_TRUE(first);
    std::vector<std::string> waits;
    const auto began = m_clock.now();
    // flock locks belong to the open file description: a second open in the same process
    // conflicts just like another process would.
    auto second = acquire("validate-service", 700ms, &waits);
    const auto waited = m_clock.now() - began;
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ETIMEDOUT);
    const std::string pid = "PID " + std::to_string(::getpid());
    EXPECT_NE(second.error().message.find(pid), std::string::npos) << second.error().message;
    EXPECT_NE(second.error().message.find("after-install, project shop, deployment d-TEST123"),
              std::string::npos)
        << second.error().message;
    EXPECT_GE(waited, 700ms);
    EXPECT_LT(waited, 3s);
    ASSERT_GE(waits.size(), 2U);  // polled, saying whom it waits for each time
    EXPECT_NE(waits.front().find(pid), std::string::npos);
}

TEST_F(FsHostLock, CancelStopsTheWait) {
    auto first = acquire("after-install", 1s);
    ASSERT_TRUE(first);
    m_cancel.fire(CancelReason::sigterm);
    auto second = acquire("validate-service", 10s);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ECANCELED);
}

TEST_F(FsHostLock, ReleasedByTheKernelWhenTheHolderDies) {
    hold_in_child();
    auto blocked = acquire("before-install", 300ms);
    ASSERT_FALSE(blocked);
    EXPECT_NE(blocked.error().message.find("PID " + std::to_string(m_child)), std::string::npos)
        << blocked.error().message;
    ASSERT_EQ(::kill(m_child, SIGKILL), 0);
    ASSERT_EQ(::waitpid(m_child, nullptr, 0), m_child);
    m_child = -1;
    // The dead holder's record is still in the file, but the lock is free.
    auto taken = acquire("before-install", 2s);
    ASSERT_TRUE(taken) << taken.error().message;
}

TEST_F(FsHostLock, WaitsUntilTheHolderLetsGo) {
    hold_in_child();
    std::vector<std::string> waits;
    const pid_t child = m_child;
    // Kill the holder from the wait callback once we have seen it, so no sleep is needed.
    auto lock = HostLock::acquire(m_lock, holder("before-install"), m_clock.now() + 5s, m_clock,
                                  m_cancel, [&](const std::string& h) {
                                      waits.push_back(h);
                                      if (waits.size() == 2) {
                                          ::kill(child, SIGKILL);
                                      }
                                  });
    ASSERT_TRUE(lock) << lock.error().message;
    EXPECT_GE(waits.size(), 2U);
}

TEST_F(FsHostLock, HolderRecordParsing) {
    EXPECT_FALSE(LockHolder::from_json("").has_value());
    EXPECT_FALSE(LockHolder::from_json("{\"pid\":").has_value());
    EXPECT_FALSE(LockHolder::from_json("[1,2]").has_value());
    EXPECT_FALSE(LockHolder::from_json("{\"hook\":\"x\"}").has_value());
    const LockHolder h{42, "after-install", "shop", "d-1", "2024-05-01T12:00:00Z"};
    const auto back = LockHolder::from_json(h.to_json());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->describe(),
              "PID 42 (after-install, project shop, deployment d-1, since 2024-05-01T12:00:00Z)");
    EXPECT_EQ(HostLock::describe_holder(m_dir + "/missing"), "an unknown process");
}

}  // namespace
}  // namespace stagehand::os
