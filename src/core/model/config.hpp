#pragma once
// stagehand.yml (SPEC section 3), fully resolved: every field holds its default when the file
// does not set it. `SourceMark`s are kept where a later check (the plan) needs to point at
// the line that caused a problem.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/probe.hpp"
#include "core/model/types.hpp"

namespace stagehand::core {

enum class ComposeCommand { auto_detect, v2, v1 };  // auto | "docker compose" | docker-compose
enum class PullPolicy { always, missing, never };
enum class PinMode { rollback, never };  // pull.pin (SPEC section 9)
enum class Gate { adaptive, sleep, none };
enum class OnTimeout { fail, proceed };
enum class MemorySourceKind { auto_detect, meminfo, cgroup };

struct MemorySource {
    MemorySourceKind kind = MemorySourceKind::auto_detect;
    std::string cgroup_path;  // kind == cgroup: absolute folder under /sys/fs/cgroup
};

struct StageFile {
    std::string source;            // bundle-relative
    std::string destination;       // absolute, normalised
    std::optional<unsigned> mode;  // permission bits; nullopt keeps the source's mode
    std::optional<std::string> owner;
    std::optional<std::string> group;
    SourceMark mark;        // the list item
    SourceMark owner_mark;  // the owner / group values: host checks point there
    SourceMark group_mark;
};

struct StageConfig {
    bool stop = false;
    std::vector<std::string> clean;
    std::vector<SourceMark> clean_marks;  // parallel to `clean`
    std::vector<StageFile> files;
    int backups = 3;
    bool prune_images = false;
};

struct PullConfig {
    PullPolicy policy = PullPolicy::always;
    int parallel = 1;
    int retries = 3;
    Millis timeout{10 * 60 * 1000};
    PinMode pin = PinMode::rollback;
    int keep = 2;  // good deployments whose images stage.prune_images keeps
};

struct ServiceOverrides {
    std::optional<Bytes> need;
    std::optional<Probe> ready;
    std::optional<Millis> timeout;
    std::optional<OnTimeout> on_timeout;
    SourceMark mark;
};

// startup.concurrency: auto (SPEC section 5).
constexpr int k_concurrency_auto = 0;

struct StartupConfig {
    std::vector<std::string> services;      // empty: all, in dependency order
    std::vector<SourceMark> service_marks;  // parallel to `services`
    Gate gate = Gate::adaptive;
    Millis sleep{60 * 1000};
    int concurrency = k_concurrency_auto;  // a number, or auto (memory and CPU decide)
    int max_concurrency = 4;               // the cap for auto
    double quiet = 10.0;                   // %: CPU use of one CPU that counts as quiet
    MemorySource memory_source;
    SourceMark memory_source_mark;
    MemoryAmount reserve{128 * k_mib, 0.0, false};
    Bytes default_need = 256 * k_mib;
    Millis settle{1000};
    double learn_margin = 10.0;  // %: added to a learned peak to make the learned need
    double psi = 20.0;           // percent; 0 ignores pressure
    Millis poll{500};
    Millis timeout{5 * 60 * 1000};
    OnTimeout on_timeout = OnTimeout::fail;
    std::map<std::string, ServiceOverrides> per_service;
};

struct Check {
    std::string service;
    Probe probe;
    SourceMark mark;  // the `service:` value of the entry
    // The entry named only a service: the probe is `running`, and validate-service also
    // requires `healthy` where the service has a healthcheck (SPEC section 7).
    bool implicit = false;
};

struct ValidateConfig {
    Millis timeout{5 * 60 * 1000};
    Millis interval{1000};
    Millis stable{10 * 1000};
    std::vector<Check> checks;  // empty: the default checks (SPEC section 7)
};

struct ComposeConfig {
    std::optional<std::string> file;  // as written (bundle-relative or absolute)
    SourceMark file_mark;
    std::optional<std::string> project;
    ComposeCommand command = ComposeCommand::auto_detect;
};

struct Config {
    std::string path;  // the file it came from; empty when no file (all defaults)
    // The file's text, so checks made after loading (against the compose file, in the
    // planner) can show the offending line under their Diagnostic.
    std::string source_text;
    int version = 1;
    ComposeConfig compose;
    std::string state_dir = "/var/lib/stagehand";
    std::string log_dir = "/var/log/stagehand";
    Millis lock_timeout{5 * 60 * 1000};
    StageConfig stage;
    PullConfig pull;
    StartupConfig startup;
    ValidateConfig validate;
};

}  // namespace stagehand::core
