// The pull step with a scripted Docker: policies, retries with backoff on a FakeClock, the
// parallel limit, failure messages and the deadline.

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "steps/pull/pull.hpp"
#include "support/fake_clock.hpp"
#include "support/fake_docker.hpp"
#include "support/no_runner.hpp"
#include "support/recording_log.hpp"

namespace stagehand::steps {
namespace {

using namespace std::chrono_literals;

// Paces the pulls of a FakeDocker: advances a FakeClock by `pull_takes` per pull (a pull
// that ends past its deadline times out, as the Engine client's would), or holds every pull
// until release(), counting how many run at once.
class PullPacer {
  public:
    testing::FakeClock* clock = nullptr;
    std::chrono::milliseconds pull_takes{0};

    explicit PullPacer(testing::FakeDocker& docker, bool block = false) : m_block(block) {
        docker.before_pull = [this](const std::string&, os::MonoTime deadline) {
            return pace(deadline);
        };
    }
    int max_in_flight() {
        std::lock_guard lock(m_mutex);
        return m_max_in_flight;
    }
    // Waits until `n` pulls are running at once (or 5 s pass), for the parallel test.
    bool wait_in_flight(int n) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, 5s, [&] { return m_in_flight == n; });
    }
    void release() {
        std::lock_guard lock(m_mutex);
        m_block = false;
        m_changed.notify_all();
    }

  private:
    util::Status pace(os::MonoTime deadline) {
        std::unique_lock lock(m_mutex);
        m_max_in_flight = std::max(m_max_in_flight, ++m_in_flight);
        m_changed.notify_all();
        m_changed.wait(lock, [&] { return !m_block; });
        --m_in_flight;
        if (clock != nullptr) {
            clock->advance(pull_takes);
            if (clock->now() > deadline) {
                return util::Error{"Docker daemon at /x: timed out", ETIMEDOUT};
            }
        }
        return {};
    }

    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_block = false;
    int m_in_flight = 0;
    int m_max_in_flight = 0;
};

struct Rig {
    testing::FakeClock clock;
    os::Cancel cancel;
    testing::RecordingLog log;
    testing::NoRunner runner;
    testing::FakeDocker docker;
    PullPacer pacer{docker};
    core::PullConfig config;
    os::MonoTime deadline = clock.now() + 1h;

    Rig() { pacer.clock = &clock; }
    PullOutcome run(const std::vector<PullImage>& images) {
        Context ctx{clock, cancel, deadline, log, runner, &docker, nullptr};
        return run_pull(images, config, ctx);
    }
};

const std::vector<PullImage> k_images = {
    {"zookeeper", "reg:5000/zk:1"},
    {"kafka", "reg:5000/kafka:1"},
    {"kafka-ui", "reg:5000/kafka:1"},  // same image: pulled once
};

TEST(PullStep, AlwaysPullsEveryImageOnceAndLogs) {
    Rig rig;
    rig.pacer.pull_takes = 1200ms;
    const auto outcome = rig.run(k_images);
    ASSERT_TRUE(outcome.ok) << outcome.failure;
    ASSERT_EQ(outcome.images.size(), 2u);
    EXPECT_EQ(outcome.images[1].image, "reg:5000/kafka:1");
    EXPECT_EQ(outcome.images[1].services, (std::vector<std::string>{"kafka", "kafka-ui"}));
    for (const auto& image : outcome.images) {
        EXPECT_EQ(image.status, PullStatus::pulled);
        EXPECT_EQ(image.digest, "sha256:pulled-" + image.image);
        EXPECT_EQ(image.attempts, 1);
        EXPECT_DOUBLE_EQ(image.seconds, 1.2);
    }
    EXPECT_EQ(rig.docker.calls(),
              (std::vector<std::string>{"pull reg:5000/zk:1", "pull reg:5000/kafka:1"}));
    EXPECT_EQ(rig.log.lines()[0], "info [zookeeper] pulling reg:5000/zk:1");
    EXPECT_EQ(rig.log.lines()[1],
              "info [zookeeper] pulled reg:5000/zk:1 in 1.2s, digest sha256:pulled-reg:5000/zk:1");
    const auto json = pull_report_json(outcome);
    EXPECT_EQ(json["images"][1]["status"], "pulled");
    EXPECT_EQ(json["images"][1]["services"][1], "kafka-ui");
}

TEST(PullStep, MissingPullsOnlyAbsentImages) {
    Rig rig;
    rig.config.policy = core::PullPolicy::missing;
    rig.docker.set_present({"reg:5000/zk:1"});
    const auto outcome = rig.run(k_images);
    ASSERT_TRUE(outcome.ok) << outcome.failure;
    EXPECT_EQ(outcome.images[0].status, PullStatus::present);
    EXPECT_EQ(outcome.images[0].digest, "sha256:local-reg:5000/zk:1");
    EXPECT_EQ(outcome.images[0].attempts, 0);
    EXPECT_EQ(outcome.images[1].status, PullStatus::pulled);
    EXPECT_EQ(rig.docker.calls(), (std::vector<std::string>{
                                      "image_present reg:5000/zk:1", "image_digest reg:5000/zk:1",
                                      "image_present reg:5000/kafka:1", "pull reg:5000/kafka:1"}));
}

TEST(PullStep, NeverNamesEveryMissingImageAndPullsNothing) {
    Rig rig;
    rig.config.policy = core::PullPolicy::never;
    const auto outcome = rig.run(k_images);
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.failure,
              "pull.policy is never and these images are not present locally: reg:5000/zk:1 "
              "(service zookeeper), reg:5000/kafka:1 (services kafka, kafka-ui)");
    for (const auto& call : rig.docker.calls()) {
        EXPECT_NE(call.rfind("pull ", 0), 0u) << call;
    }
    rig.docker.set_present({"reg:5000/zk:1", "reg:5000/kafka:1"});
    EXPECT_TRUE(rig.run(k_images).ok);
}

TEST(PullStep, RetriesTransientErrorsWithExponentialBackoff) {
    Rig rig;
    rig.config.retries = 3;
    const util::Error refused{
        "failed to pull reg:5000/zk:1: Get \"http://reg:5000/v2/\": connect: connection refused",
        EIO};
    rig.docker.fail_pulls("reg:5000/zk:1", {refused, refused, refused});
    const auto start = rig.clock.now();
    const auto outcome = rig.run({{"zookeeper", "reg:5000/zk:1"}});
    ASSERT_TRUE(outcome.ok) << outcome.failure;
    EXPECT_EQ(outcome.images[0].attempts, 4);
    EXPECT_EQ(rig.clock.now() - start, 1s + 2s + 4s);  // 1 s, 2 s, 4 s between attempts
    EXPECT_DOUBLE_EQ(outcome.images[0].seconds, 7.0);
    int warnings = 0;
    for (const auto& line : rig.log.lines()) {
        warnings += line.rfind("warn", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(warnings, 3);
}

TEST(PullStep, GivesUpAfterRetriesWithTheRegistrysMessage) {
    Rig rig;
    rig.config.retries = 2;
    const util::Error refused{"failed to pull reg:5000/zk:1: connection refused", EIO};
    rig.docker.fail_pulls("reg:5000/zk:1", {refused, refused, refused, refused});
    const auto outcome = rig.run(k_images);
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.images[0].attempts, 3);
    EXPECT_EQ(outcome.images[0].status, PullStatus::failed);
    EXPECT_EQ(outcome.failure,
              "failed to pull reg:5000/zk:1: connection refused (service zookeeper)");
    // Fail fast: the next image is never started.
    EXPECT_EQ(outcome.images[1].status, PullStatus::skipped);
    EXPECT_EQ(pull_report_json(outcome)["images"][1]["status"], "skipped");
}

TEST(PullStep, FinalErrorsAreNotRetried) {
    const util::Error finals[] = {
        {"failed to pull r:1: manifest for r:1 not found: manifest unknown: manifest unknown",
         ENOENT},
        {"failed to pull r:1: unknown blob manifest unknown", EIO},
        {"failed to pull r:1: unauthorized: authentication required", EIO},
        {"failed to pull r:1: pull access denied for r, repository does not exist", EIO},
    };
    for (const auto& error : finals) {
        Rig rig;
        rig.docker.fail_pulls("r:1", {error});
        const auto start = rig.clock.now();
        const auto outcome = rig.run({{"svc", "r:1"}});
        EXPECT_FALSE(outcome.ok);
        EXPECT_EQ(outcome.images[0].attempts, 1) << error.message;
        EXPECT_EQ(rig.clock.now(), start);
        EXPECT_EQ(outcome.failure, error.message + " (service svc)");
    }
    EXPECT_FALSE(pull_error_is_final({"connection refused", EIO}));
    EXPECT_FALSE(pull_error_is_final({"unknown blob", EIO}));
    EXPECT_TRUE(pull_error_is_final({"anything", ENOENT}));
}

TEST(PullStep, BackoffDoublesAndIsCapped) {
    EXPECT_EQ(pull_backoff(0), 1s);
    EXPECT_EQ(pull_backoff(1), 2s);
    EXPECT_EQ(pull_backoff(2), 4s);
    EXPECT_EQ(pull_backoff(4), 16s);
    EXPECT_EQ(pull_backoff(5), 30s);
    EXPECT_EQ(pull_backoff(1000), 30s);
}

TEST(PullStep, PerImageTimeoutCoversAllAttempts) {
    Rig rig;
    rig.config.timeout = 10s;
    rig.config.retries = 10;
    rig.pacer.pull_takes = 4s;
    const util::Error reset{"failed to pull r:1: connection reset by peer", EIO};
    rig.docker.fail_pulls("r:1", std::deque<util::Error>(20, reset));
    const auto start = rig.clock.now();
    const auto outcome = rig.run({{"svc", "r:1"}});
    EXPECT_FALSE(outcome.ok);
    // 4 s pull, 1 s wait, 4 s pull (9 s); the 2 s wait would pass the 10 s: stop there.
    EXPECT_EQ(outcome.images[0].attempts, 2);
    EXPECT_EQ(rig.clock.now() - start, 9s);
    EXPECT_NE(outcome.failure.find("connection reset by peer"), std::string::npos);
}

TEST(PullStep, PerImageTimeoutNamesTheSetting) {
    Rig rig;
    rig.config.timeout = 10s;
    rig.pacer.pull_takes = 11s;
    const auto outcome = rig.run({{"svc", "r:1"}});
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.images[0].attempts, 1);
    EXPECT_NE(outcome.failure.find("pulling r:1 took longer than pull.timeout (10s)"),
              std::string::npos)
        << outcome.failure;
}

TEST(PullStep, RunDeadlineStopsAPull) {
    Rig rig;
    rig.deadline = rig.clock.now() + 5s;
    rig.pacer.pull_takes = 6s;
    const auto outcome = rig.run({{"svc", "r:1"}});
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.images[0].attempts, 1);
    EXPECT_NE(outcome.failure.find("the run's deadline passed while pulling r:1"),
              std::string::npos)
        << outcome.failure;
}

TEST(PullStep, CancelledBeforeStartPullsNothing) {
    Rig rig;
    rig.cancel.fire(os::CancelReason::sigterm);
    const auto outcome = rig.run(k_images);
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(rig.docker.calls().empty());
    EXPECT_EQ(outcome.failure, "cancelled before pulling reg:5000/zk:1");
}

TEST(PullStep, NoDockerIsAFailure) {
    Rig rig;
    Context ctx{rig.clock, rig.cancel, rig.deadline, rig.log, rig.runner, nullptr, nullptr};
    EXPECT_FALSE(run_pull(k_images, rig.config, ctx).ok);
}

TEST(PullStep, ParallelLimitIsHonoured) {
    // Real threads: a SystemClock (the FakeClock is for one thread).
    os::SystemClock clock;
    os::Cancel cancel;
    testing::RecordingLog log;
    testing::NoRunner runner;
    testing::FakeDocker docker;
    PullPacer pacer(docker, true);
    core::PullConfig config;
    config.parallel = 2;
    std::vector<PullImage> images;
    for (int i = 0; i < 5; ++i) {
        images.push_back({"s" + std::to_string(i), "img" + std::to_string(i)});
    }
    Context ctx{clock, cancel, clock.now() + 1min, log, runner, &docker, nullptr};
    PullOutcome outcome;
    std::thread step([&] { outcome = run_pull(images, config, ctx); });
    EXPECT_TRUE(pacer.wait_in_flight(2));
    pacer.release();
    step.join();
    ASSERT_TRUE(outcome.ok) << outcome.failure;
    EXPECT_EQ(pacer.max_in_flight(), 2);
    EXPECT_EQ(docker.calls().size(), 5u);
    for (const auto& image : outcome.images) {
        EXPECT_EQ(image.status, PullStatus::pulled);
    }
}

}  // namespace
}  // namespace stagehand::steps
