#pragma once
// validate-service (SPEC section 7): every check runs concurrently and must hold continuously
// for `stable` with no container restart and no OOM kill, within `timeout` and the run's
// deadline. A crashed or OOM-killed container fails its check at once (and ends the step:
// the deployment has failed, waiting longer only delays the rollback).

#include <string>
#include <utility>
#include <vector>

#include "core/model/config.hpp"
#include "core/model/probe.hpp"
#include "core/oom/oom_kill.hpp"
#include "os/docker/docker.hpp"
#include "os/memory/oom_counters.hpp"
#include "steps/context.hpp"
#include "steps/probe/probe_runner.hpp"

namespace stagehand::steps {

struct ValidateCheck {
    std::string service;
    core::Probe probe;
    bool default_check = false;    // part of the baseline, not from validate.checks
    bool has_healthcheck = false;  // the service has a compose healthcheck
};

struct ValidatePlan {
    std::string project;
    std::vector<ValidateCheck> checks;
    core::Millis timeout{5 * 60 * 1000};
    core::Millis interval{1000};
    core::Millis stable{10 * 1000};
};

// A service validate-service covers, and whether compose gives it a healthcheck.
struct ValidatedService {
    std::string name;
    bool has_healthcheck = false;
};

// The plan from the config: its checks (restricted to `services`), then the baseline: one
// `running` check per service plus `healthy` where it has a healthcheck, unless a configured
// check of that kind already covers the service.
ValidatePlan plan_validate(const core::ValidateConfig& config, std::string project,
                           const std::vector<ValidatedService>& services);

enum class CheckFailure {
    none,
    crashed,     // the container exited non-zero, is restarting, or is dead: failed at once
    oom_killed,  // the kernel OOM-killed it: failed at once
    timed_out,   // validate.timeout passed before the check held for `stable`
    deadline,    // the run's deadline passed first
    cancelled,   // SIGINT / SIGTERM
    aborted,     // another check failed at once; this one had not settled yet
};

const char* to_string(CheckFailure failure);

struct CheckOutcome {
    std::string service;
    std::string description;  // core::describe(probe): "tcp kafka:9092"
    core::ProbeKind kind = core::ProbeKind::running;
    bool default_check = false;
    bool passed = false;
    CheckFailure failure = CheckFailure::none;
    std::string error;        // the last attempt's error ("" when the last attempt passed)
    core::Millis elapsed{0};  // from the start of the step to passing / failing
    core::Millis held{0};     // how long it held continuously when it ended
    int attempts = 0;
    bool has_container = false;
    os::ContainerState container;  // its service's container at the end (has_container)
    core::OomVerdict oom;          // what killed the container, when it died by SIGKILL
    // Failing checks: the container's last output lines (at most 10), each valid UTF-8,
    // without control characters and at most 200 bytes. Shared by the checks of one service
    // (only the first failing check of a service carries them).
    std::vector<std::string> log_tail;
};

struct ValidateOutcome {
    bool passed = false;
    bool timed_out = false;        // validate.timeout passed
    bool deadline_passed = false;  // the run's deadline passed (exit 124)
    bool cancelled = false;        // interrupted (exit 130 / 143)
    core::Millis elapsed{0};
    core::Millis stable{0};            // the plan's window, for the summary
    std::vector<CheckOutcome> checks;  // in plan order
};

// Runs the plan. Needs ctx.docker. Time comes from ctx.clock (tests pass a FakeClock),
// interruption from ctx.cancel; each attempt goes through `prober` with ctx.deadline as its
// outer deadline. Progress and events go to ctx.log. `oom_counters` tells an OOM kill from
// another SIGKILL (null: Docker's OOMKilled flag with exit 137 decides).
ValidateOutcome run_validate(Context& ctx, const ValidatePlan& plan, Prober& prober,
                             os::OomCounterReader* oom_counters = nullptr);

// The end-of-run summary: one line per failing check (its last error and container state),
// the container's last log lines, and finally the one-line verdict. The lines, newline
// included, fit in `max_bytes` (log lines are dropped first, then state lines). Passing
// outcomes give a single verdict line.
std::vector<std::string> render_validate_summary(const ValidateOutcome& outcome,
                                                 std::size_t max_bytes = 2048);

// "OK: validate: 12 checks held 10s" or "FAILED: validate: gateway-service http http://...:
// status 500 (want 200-399); kafka was killed by the kernel's OOM killer (its own limit of
// 256 MiB)". With many failures the probes
// are named by kind only ("gateway-service http: status 500 ..."), leaving room above the
// verdict for the per-check lines. At most `max_bytes`.
std::string validate_verdict(const ValidateOutcome& outcome, std::size_t max_bytes = 900);

}  // namespace stagehand::steps
