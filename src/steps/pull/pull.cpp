#include "steps/pull/pull.hpp"

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <thread>

#include "util/text.hpp"
#include "util/units_text.hpp"

namespace stagehand::steps {

namespace {

constexpr std::chrono::milliseconds k_backoff_first{1000};
constexpr std::chrono::milliseconds k_backoff_cap{30'000};

std::string services_of(const ImagePull& item) {
    return (item.services.size() == 1 ? "service " : "services ") + util::join(item.services, ", ");
}

// Images in order of first appearance, each with the services that use it.
std::vector<ImagePull> deduplicate(const std::vector<PullImage>& images) {
    std::vector<ImagePull> out;
    for (const auto& wanted : images) {  // not a structured binding: clang 14 cannot capture one
        if (wanted.image.empty()) {
            continue;
        }
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const ImagePull& p) { return p.image == wanted.image; });
        if (it == out.end()) {
            out.push_back(ImagePull{wanted.image, {}, PullStatus::skipped, 0, {}, 0, {}});
            it = out.end() - 1;
        }
        it->services.push_back(wanted.service);
    }
    return out;
}

class PullRun {
  public:
    PullRun(const core::PullConfig& config, Context& ctx, os::Docker& docker)
        : m_config(config), m_ctx(ctx), m_docker(docker) {}

    // Sorts the images into present (done) and to-pull; false when the step already failed.
    bool check_local(std::vector<ImagePull>& images, std::vector<ImagePull*>& to_pull,
                     std::string& failure);
    void pull_all(const std::vector<ImagePull*>& queue);

  private:
    void pull_one(ImagePull& item);
    bool wait_before_retry(ImagePull& item, int retry, os::MonoTime image_deadline);
    std::string timeout_error(const ImagePull& item, os::MonoTime image_deadline) const;
    void log(util::Level level, const ImagePull& item, const std::string& message) {
        const std::lock_guard lock(m_log_mutex);
        m_ctx.log.event(level, item.services.empty() ? "" : item.services.front(), message);
    }
    double since(os::MonoTime start) const {
        return std::chrono::duration<double>(m_ctx.clock.now() - start).count();
    }

    const core::PullConfig& m_config;
    Context& m_ctx;
    os::Docker& m_docker;
    std::mutex m_log_mutex;
    std::mutex m_queue_mutex;
    std::size_t m_next = 0;
    bool m_stop = false;
};

bool PullRun::check_local(std::vector<ImagePull>& images, std::vector<ImagePull*>& to_pull,
                          std::string& failure) {
    std::vector<std::string> missing;
    for (auto& item : images) {
        if (m_config.policy == core::PullPolicy::always) {
            to_pull.push_back(&item);
            continue;
        }
        auto present = m_docker.image_present(item.image, m_ctx.deadline, m_ctx.cancel);
        if (!present) {
            item.status = PullStatus::failed;
            item.error = present.error().message;
            failure = item.error + " (" + services_of(item) + ")";
            return false;
        }
        if (*present) {
            auto digest = m_docker.image_digest(item.image, m_ctx.deadline, m_ctx.cancel);
            item.digest = digest ? *digest : std::string();
            item.status = PullStatus::present;
            log(util::Level::info, item,
                item.image + " is present locally" +
                    (item.digest.empty() ? "" : ", digest " + item.digest));
        } else if (m_config.policy == core::PullPolicy::never) {
            item.status = PullStatus::failed;
            item.error = "image " + item.image + " is not present locally";
            missing.push_back(item.image + " (" + services_of(item) + ")");
        } else {
            to_pull.push_back(&item);
        }
    }
    if (!missing.empty()) {
        failure = "pull.policy is never and " +
                  std::string(missing.size() == 1 ? "this image is" : "these images are") +
                  " not present locally: " + util::join(missing, ", ");
        return false;
    }
    return true;
}

void PullRun::pull_all(const std::vector<ImagePull*>& queue) {
    const auto worker = [&] {
        for (;;) {
            ImagePull* item = nullptr;
            {
                const std::lock_guard lock(m_queue_mutex);
                if (m_stop || m_next >= queue.size() || m_ctx.cancel.fired()) {
                    return;
                }
                item = queue[m_next++];
            }
            pull_one(*item);
            if (item->status == PullStatus::failed) {
                const std::lock_guard lock(m_queue_mutex);
                m_stop = true;
            }
        }
    };
    const std::size_t threads = std::min<std::size_t>(
        static_cast<std::size_t>(std::max(1, m_config.parallel)), queue.size());
    if (threads <= 1) {
        worker();  // no thread for the common parallel: 1 (and tests with a FakeClock)
        return;
    }
    std::vector<std::jthread> pool;
    for (std::size_t i = 0; i < threads; ++i) {
        pool.emplace_back(worker);
    }
}

void PullRun::pull_one(ImagePull& item) {
    const os::MonoTime start = m_ctx.clock.now();
    const os::MonoTime image_deadline = std::min(m_ctx.deadline, start + m_config.timeout);
    log(util::Level::info, item, "pulling " + item.image);
    const int retries = std::max(0, m_config.retries);
    for (int attempt = 0; attempt <= retries; ++attempt) {
        ++item.attempts;
        auto pulled = m_docker.pull(item.image, image_deadline, m_ctx.cancel);
        if (pulled) {
            item.status = PullStatus::pulled;
            item.digest = pulled->digest;
            item.seconds = since(start);
            log(util::Level::info, item,
                "pulled " + item.image + " in " +
                    util::format_seconds(std::chrono::duration<double>(item.seconds)) +
                    (item.digest.empty() ? " (no repo digest)" : ", digest " + item.digest));
            return;
        }
        item.error = pulled.error().message;
        if (pulled.error().code == ETIMEDOUT || m_ctx.clock.now() >= image_deadline) {
            item.error = timeout_error(item, image_deadline);
            break;
        }
        if (m_ctx.cancel.fired() || pull_error_is_final(pulled.error()) || attempt == retries ||
            !wait_before_retry(item, attempt, image_deadline)) {
            break;
        }
    }
    item.status = PullStatus::failed;
    item.seconds = since(start);
    log(util::Level::error, item,
        item.error + " (" + std::to_string(item.attempts) +
            (item.attempts == 1 ? " attempt)" : " attempts)"));
}

// Logs the failed attempt and sleeps the backoff; false when the sleep would outlast the
// image's deadline or Cancel fired (then retrying is pointless).
bool PullRun::wait_before_retry(ImagePull& item, int retry, os::MonoTime image_deadline) {
    const auto wait = pull_backoff(retry);
    const os::MonoTime until = m_ctx.clock.now() + wait;
    if (until >= image_deadline) {
        return false;
    }
    log(util::Level::warn, item,
        item.error + "; retrying in " + std::to_string(wait.count() / 1000) + "s (attempt " +
            std::to_string(retry + 2) + " of " + std::to_string(m_config.retries + 1) + ")");
    return m_ctx.clock.sleep_until(until, m_ctx.cancel);
}

std::string PullRun::timeout_error(const ImagePull& item, os::MonoTime image_deadline) const {
    if (image_deadline < m_ctx.deadline) {
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(m_config.timeout).count();
        return "pulling " + item.image + " took longer than pull.timeout (" +
               std::to_string(seconds) + "s): " + item.error;
    }
    return "the run's deadline passed while pulling " + item.image + ": " + item.error;
}

}  // namespace

PullOutcome run_pull(const std::vector<PullImage>& images, const core::PullConfig& config,
                     Context& ctx) {
    PullOutcome outcome;
    outcome.images = deduplicate(images);
    if (ctx.docker == nullptr) {
        outcome.failure = "no Docker connection for the pull step";
        return outcome;
    }
    PullRun run(config, ctx, *ctx.docker);
    std::vector<ImagePull*> to_pull;
    if (!run.check_local(outcome.images, to_pull, outcome.failure)) {
        return outcome;
    }
    run.pull_all(to_pull);
    for (const auto& item : outcome.images) {
        if (item.status == PullStatus::failed) {
            outcome.failure = item.error + " (" + services_of(item) + ")";
            return outcome;
        }
    }
    for (const auto& item : outcome.images) {
        if (item.status == PullStatus::skipped) {
            outcome.failure = "cancelled before pulling " + item.image;
            return outcome;
        }
    }
    outcome.ok = true;
    return outcome;
}

std::chrono::milliseconds pull_backoff(int retry) {
    auto wait = k_backoff_first;
    for (int i = 0; i < retry && wait < k_backoff_cap; ++i) {
        wait *= 2;
    }
    return std::min(wait, k_backoff_cap);
}

bool pull_error_is_final(const util::Error& error) {
    if (error.code == ENOENT || error.code == EACCES || error.code == ECANCELED) {
        return true;
    }
    for (const char* final_text :
         {"manifest unknown", "not found", "unauthorized", "denied", "invalid reference format",
          "no basic auth credentials", "repository does not exist"}) {
        if (error.message.find(final_text) != std::string::npos) {
            return true;
        }
    }
    return false;
}

const char* to_string(PullStatus status) {
    switch (status) {
        case PullStatus::pulled:
            return "pulled";
        case PullStatus::present:
            return "present";
        case PullStatus::failed:
            return "failed";
        case PullStatus::skipped:
            return "skipped";
    }
    return "skipped";
}

nlohmann::json pull_report_json(const PullOutcome& outcome) {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& item : outcome.images) {
        images.push_back({{"image", item.image},
                          {"services", item.services},
                          {"status", to_string(item.status)},
                          {"seconds", item.seconds},
                          {"digest", item.digest},
                          {"attempts", item.attempts},
                          {"error", item.error}});
    }
    return {{"ok", outcome.ok}, {"failure", outcome.failure}, {"images", images}};
}

}  // namespace stagehand::steps
