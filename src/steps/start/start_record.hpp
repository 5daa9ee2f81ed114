#pragma once
// What the start sequence observed, for the summary table, the deployment report and the
// learned profiles. Times are milliseconds since the run started.

#include <optional>
#include <string>
#include <vector>

#include "core/gate/gate.hpp"
#include "core/model/types.hpp"
#include "core/oom/oom_kill.hpp"
#include "core/plan/plan.hpp"

namespace stagehand::steps {

struct WaitRecord {
    core::ReasonKind kind = core::ReasonKind::dependency;
    std::string reason;
    core::Millis from{0};
    core::Millis to{0};
};

struct ServiceRecord {
    std::string name;
    std::string image;
    core::Bytes need = 0;
    core::NeedSource need_source = core::NeedSource::default_guess;
    core::ReadySignal ready_by = core::ReadySignal::inferred;
    std::string ready_signals;  // what made it ready: "listening 8080, cpu quiet"
    core::Millis started_at{-1};
    core::Millis ready_at{-1};
    core::Bytes peak = 0;
    std::vector<WaitRecord> waits;
    int probe_attempts = 0;
    std::string probe_error;  // the latest failed attempt's reason ("" once it passed)
    std::string container_id;
    bool unchanged = false;  // compose left the running container as it was
    std::string outcome;     // ready, completed, gave up, failed, not started
    bool warning = false;
    core::OomKind oom_kill = core::OomKind::none;  // what killed it, if it died by SIGKILL
};

struct MemoryRecord {
    core::Millis at{0};
    core::Bytes available = 0;
    core::Bytes total = 0;
    std::optional<double> psi;
};

struct StartResult {
    bool ok = false;
    bool interrupted = false;  // cancelled or deadline: `failure` says what was awaited
    std::string failure;       // one line, names the service and the cause
    std::string failed_service;
    std::vector<std::string> diagnosis;   // exit code, OOMKilled, last log lines, memory holders
    std::vector<ServiceRecord> services;  // in plan order
    std::vector<MemoryRecord> memory;
    std::string memory_source;
    std::optional<core::Millis> first_start;
    std::optional<core::Millis> all_ready;
    int oom_kills = 0;
};

}  // namespace stagehand::steps
