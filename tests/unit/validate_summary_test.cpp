// The failure summary: fits the ~2 KB the CodeDeploy console shows and ends with the verdict.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "steps/validate/validate.hpp"
#include "steps/validate/validate_text.hpp"
#include "util/sanitize.hpp"

namespace stagehand::steps {
namespace {

std::size_t total(const std::vector<std::string>& lines) {
    std::size_t n = 0;
    for (const auto& l : lines) {
        n += l.size() + 1;
    }
    return n;
}

CheckOutcome failing_http(int i, std::size_t log_bytes) {
    CheckOutcome c;
    c.service = "service-" + std::to_string(i);
    c.description = "http http://" + c.service + ":8080/actuator/health";
    c.kind = core::ProbeKind::http;
    c.failure = CheckFailure::timed_out;
    c.error = "status 500 (want 200-399)";
    c.elapsed = std::chrono::minutes(5);
    c.attempts = 64;
    c.has_container = true;
    c.container.status = "running";
    c.container.restart_count = i;
    for (int k = 0; k < 10; ++k) {
        std::string raw = "\x1b[33m2024-05-01 WARN\x1b[0m line " + std::to_string(k) + " \xff\xfe ";
        raw += std::string(log_bytes, 'x');
        c.log_tail.push_back(util::sanitize_line(raw, 200));
    }
    return c;
}

TEST(ValidateSummary, NineFailingServicesFitIn2KbAndEndWithTheVerdict) {
    ValidateOutcome outcome;
    outcome.timed_out = true;
    for (int i = 1; i <= 9; ++i) {
        outcome.checks.push_back(failing_http(i, 1000));
    }
    const auto lines = render_validate_summary(outcome);
    if (std::getenv("STAGEHAND_PRINT_SUMMARY") != nullptr) {  // to eyeball the layout
        for (const auto& line : lines) {
            std::printf("%s\n", line.c_str());
        }
    }
    EXPECT_LE(total(lines), 2048u);
    const std::string& verdict = lines.back();
    // Nine full items would crowd out the lines above: the verdict names probes by kind.
    EXPECT_EQ(verdict.rfind("FAILED: validate: service-1 http: status 500 (want 200-399); "
                            "service-2 http: status 500 (want 200-399); service-3 ",
                            0),
              0u)
        << verdict;
    EXPECT_NE(std::find(lines.begin(), lines.end(),
                        "  service-9 state: running, exit code 0, OOMKilled no, restarts 9"),
              lines.end());
    EXPECT_NE(verdict.find("service-9"), std::string::npos) << verdict;
    // Every failing check keeps its header line; log lines went first.
    for (int i = 1; i <= 9; ++i) {
        const std::string head = "FAIL service-" + std::to_string(i) + " http";
        EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                                [&](const std::string& l) { return l.rfind(head, 0) == 0; }),
                  1)
            << head;
    }
    for (const auto& line : lines) {
        EXPECT_EQ(util::sanitize_line(line, 1023), line);  // valid UTF-8, no controls, < 1 KB
    }
}

TEST(ValidateSummary, FewFailuresKeepStateAndLogs) {
    ValidateOutcome outcome;
    outcome.timed_out = true;
    outcome.checks.push_back(failing_http(1, 20));
    CheckOutcome ok;
    ok.service = "db";
    ok.description = "running";
    ok.passed = true;
    outcome.checks.push_back(ok);
    const auto lines = render_validate_summary(outcome);
    ASSERT_EQ(lines.size(), 13u);  // header, state, 10 log lines, verdict
    EXPECT_EQ(lines[0],
              "FAIL service-1 http http://service-1:8080/actuator/health: status 500 "
              "(want 200-399) (after 5m, 64 attempts)");
    EXPECT_EQ(lines[1], "  service-1 state: running, exit code 0, OOMKilled no, restarts 1");
    EXPECT_EQ(lines[2].rfind("  service-1 | 2024-05-01 WARN line 0 \xEF\xBF\xBD\xEF\xBF\xBD x", 0),
              0u)
        << lines[2];
    EXPECT_EQ(lines.back(),
              "FAILED: validate: service-1 http http://service-1:8080/actuator/health: "
              "status 500 (want 200-399)");
}

TEST(ValidateSummary, TinyBudgetStillEndsWithVerdict) {
    ValidateOutcome outcome;
    outcome.timed_out = true;
    for (int i = 1; i <= 30; ++i) {
        outcome.checks.push_back(failing_http(i, 300));
    }
    const auto lines = render_validate_summary(outcome, 1200);
    EXPECT_LE(total(lines), 1200u);
    EXPECT_EQ(lines.back().rfind("FAILED: validate: ", 0), 0u);
    EXPECT_NE(lines.back().find(" more"), std::string::npos) << lines.back();
    EXPECT_LE(lines.back().size(), 900u);
}

TEST(ValidateSummary, DurationsAndNames) {
    EXPECT_EQ(short_duration(std::chrono::milliseconds(4000)), "4.0s");
    EXPECT_EQ(short_duration(std::chrono::milliseconds(59950)), "59.9s");
    EXPECT_EQ(short_duration(std::chrono::milliseconds(90500)), "1m30s");
    EXPECT_STREQ(to_string(CheckFailure::oom_killed), "oom_killed");
}

}  // namespace
}  // namespace stagehand::steps
