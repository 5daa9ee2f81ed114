// Inferred readiness and learned peaks on real containers (SPEC section 5, issue 12): stand-ins
// with no ready probe and no healthcheck that open their port early (and keep burning CPU),
// late, or never; stagehand reads listening sockets, cgroup CPU time and the cgroup's memory
// high-water mark from the kernel.

#include <regex>

#include "support/command.hpp"
#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

nlohmann::json start_part(const nlohmann::json& report) {
    for (const auto& [key, value] : report["hooks"]["after-install"].items()) {
        if (value.is_object() && value.contains("services")) {
            return value;
        }
    }
    return nullptr;
}

nlohmann::json service_record(const nlohmann::json& start, const std::string& name) {
    for (const auto& service : start["services"]) {
        if (service.value("name", "") == name) {
            return service;
        }
    }
    return nullptr;
}

class InferredReadyTest : public StackTest {
  protected:
    // A stand-in with no probe: readiness is inferred.
    ServiceSpec inferred(const std::string& name, int port, std::vector<std::string> args) {
        auto spec = service(name, standin_image("gesture-service"), port, std::move(args));
        spec.inferred = true;
        return spec;
    }

    // Deploys the stack; returns the start sequence's report.
    nlohmann::json deploy_start(const StackSpec& spec, const std::string& name) {
        const auto id = expect_deployed(deploy(bundle(spec, name)));
        return start_part(report(id));
    }
};

TEST_F(InferredReadyTest, EarlyListenerIsReadyOnlyOnceItsCpuIsQuiet) {
    const int port = free_port();
    auto spec = stack(
        {inferred("early", port,
                  {"--listen", "early", "--cpu-s", "1.5", "--ramp-s", "0.5", "--peak-mib", "20"})});
    const auto start = deploy_start(spec, "rev");
    ASSERT_TRUE(start.is_object());
    const auto early = service_record(start, "early");
    EXPECT_EQ(early.value("ready_by", ""), "inferred");
    EXPECT_EQ(early.value("ready_signals", ""),
              "listening " + std::to_string(port) + ", cpu quiet");
    // Listening from the first moment, but busy for 1.5 s of CPU: not ready before that.
    EXPECT_GE(early.value("ready_ms", 0) - early.value("start_ms", 0), 1500) << early.dump(1);
}

TEST_F(InferredReadyTest, WorkerWithNoPortIsReadyWhenQuietAndSettled) {
    auto spec = stack(
        {inferred("worker", 0,
                  {"--listen", "never", "--cpu-s", "0.5", "--ramp-s", "0.3", "--peak-mib", "16"})});
    const auto start = deploy_start(spec, "rev");
    ASSERT_TRUE(start.is_object());
    const auto worker = service_record(start, "worker");
    EXPECT_EQ(worker.value("ready_signals", ""), "cpu quiet, memory settled") << worker.dump(1);
    EXPECT_GE(worker.value("ready_ms", 0) - worker.value("start_ms", 0), 500);
}

TEST_F(InferredReadyTest, LateListenerIsReadyWhenItListens) {
    const int port = free_port();
    auto spec = stack(
        {inferred("late", port,
                  {"--listen", "late", "--cpu-s", "1.0", "--ramp-s", "1.5", "--peak-mib", "24"})});
    const auto start = deploy_start(spec, "rev");
    ASSERT_TRUE(start.is_object());
    const auto late = service_record(start, "late");
    EXPECT_EQ(late.value("ready_signals", ""), "listening " + std::to_string(port) + ", cpu quiet");
    EXPECT_GE(late.value("ready_ms", 0) - late.value("start_ms", 0), 1500) << late.dump(1);
}

// The stand-in prints "NAME peak N bytes (VmHWM M bytes)" at its peak: the memory it really
// touched. A learned need below it is the one that OOM-kills the next deploy.
TEST_F(InferredReadyTest, LearnedNeedIsNeverBelowTheTruePeak) {
    auto spec = stack({inferred("spiky", 0,
                                {"--listen", "never", "--cpu-s", "0.3", "--ramp-s", "0.2",
                                 "--peak-mib", "48", "--steady-mib", "8"})});
    const auto start = deploy_start(spec, "rev");
    ASSERT_TRUE(start.is_object());
    const auto container = m_docker.service_container(spec.project, "spiky");
    ASSERT_FALSE(container.id.empty());
    auto env = m_docker.env();
    const auto logs = run_command({"docker", "logs", container.id}, Millis(20000), env);
    ASSERT_TRUE(logs.ok()) << logs.describe();
    std::smatch match;
    const std::string text = logs.out + logs.err;
    ASSERT_TRUE(std::regex_search(text, match, std::regex("spiky peak ([0-9]+) bytes"))) << text;
    const long long true_peak = std::stoll(match[1]);
    const auto profiles = nlohmann::json::parse(read_text(spec.state_dir / "profiles.json"));
    const auto learned = profiles[spec.project]["spiky"].value("peak_bytes", 0LL);
    EXPECT_GE(learned, true_peak) << profiles.dump(1);
    EXPECT_GE(service_record(start, "spiky").value("peak_bytes", 0LL), true_peak);
}

}  // namespace
}  // namespace stagehand::integration
