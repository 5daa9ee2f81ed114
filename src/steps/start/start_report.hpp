#pragma once
// The start sequence as the operator reads it: the closing table, the verdict line, the
// deployment report's JSON (SPEC section 8), and the profiles it teaches the next run.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/plan/plan.hpp"
#include "steps/start/start_record.hpp"

namespace stagehand::steps {

// The per-service table (need, waited, started, ready, peak, result); at most `max_rows`
// rows, failures and warnings first when cut, so it fits the agent's 2 KB tail.
std::vector<std::string> start_table(const StartResult& result, std::size_t max_rows = 12);

// "OK: 9 services ready 21.4s after the first start, 0 OOM kills, peak ..." or
// "FAILED: kafka exited with code 3 ...".
std::string start_verdict(const StartResult& result);

nlohmann::json start_report_json(const StartResult& result);

// Peaks and times to ready of the services that became ready in this run; none when the run
// saw an OOM kill.
core::Profiles learned_profiles(const StartResult& result);

}  // namespace stagehand::steps
