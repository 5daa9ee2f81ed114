#pragma once
// A scripted os::OomCounterReader: `counters` is what the kernel shows now (tests change it to
// stage a kill); a read after the container died sees its own cgroup gone, as Docker removes
// it before reporting the death.
#include "os/memory/oom_counters.hpp"

namespace stagehand::testing {

class FakeOomCounters final : public os::OomCounterReader {
  public:
    // A t2.micro-like host: cgroup v2, the container under system.slice, no limits.
    FakeOomCounters() {
        counters.cgroup_version = 2;
        counters.host_oom_kill = 0;
        counters.levels = {{"/system.slice/docker-1.scope", "", std::nullopt, true, 0, 0, 0},
                           {"/system.slice", "", std::nullopt, true, 0, 0, 0}};
    }

    // The OOM killer took a process of the container (system-wide unless a test sets limits).
    void oom_kill() {
        counters.host_oom_kill = *counters.host_oom_kill + 1;
        for (auto& level : counters.levels) {
            level.oom_kill = *level.oom_kill + 1;
        }
    }

    util::Result<core::OomCounters> read(int pid) override {
        ++reads;
        if (pid <= 0) {
            return util::Error{"no such process"};
        }
        return counters;
    }
    core::OomCounters read_again(const core::OomCounters&) override {
        ++rereads;
        auto after = counters;
        after.levels.front().readable = false;
        return after;
    }

    core::OomCounters counters;
    int reads = 0;
    int rereads = 0;
};

}  // namespace stagehand::testing
