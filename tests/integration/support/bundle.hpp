#pragma once
// Writes CodeDeploy revisions of small stand-in stacks: appspec.yml, stagehand.yml,
// docker-compose.yml and the three hook executables, like examples/randhand but with
// per-test ports, compose project, state and log folders.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace stagehand::integration {

namespace fs = std::filesystem;

// 127.0.0.1:5000/randhand/<repository>:<tag> (rig/build-images.sh pushes tags 1 and 2 of each
// reference service); STAGEHAND_TEST_REGISTRY overrides the registry address.
std::string standin_image(const std::string& repository, const std::string& tag = "1",
                          const std::string& registry = "");

// One compose service played by the stand-in (tests/standin) on the host network.
struct ServiceSpec {
    std::string name;
    std::string image;
    int port = 0;                   // its HTTP port on 127.0.0.1; 0: none
    std::vector<std::string> args;  // more stand-in flags: --mode crash, --ramp-s 2, ...
    std::vector<std::string> depends_on;
    std::vector<std::string> compose_extra;  // more compose keys, e.g. "mem_limit: 32m"
    std::string ready;      // stagehand.yml per_service ready probe (flow YAML); "": tcp on port
    bool inferred = false;  // no per_service entry at all: readiness inferred from the kernel
    std::string restart = "no";            // compose restart policy
    std::string stop_grace_period = "2s";  // compose's: how long Docker waits before SIGKILL
};

// A ServiceSpec with only the common fields set.
ServiceSpec service(std::string name, std::string image, int port,
                    std::vector<std::string> args = {});

// A stage.files entry; write_bundle puts `content` at `source` in the bundle.
struct StagedFile {
    std::string source;  // bundle-relative
    fs::path destination;
    std::string mode;  // "0640"; "": keep the source's mode
    std::string content;
};

struct StackSpec {
    std::string project;
    std::string compose_command = "docker compose";  // or "docker-compose"
    std::vector<ServiceSpec> services;
    fs::path state_dir;
    fs::path log_dir;
    fs::path install_dir;  // the appspec `files` destination and the stage.clean folder
    std::map<std::string, int> timeouts{
        {"BeforeInstall", 120}, {"AfterInstall", 300}, {"ValidateService", 120}};
    std::string lock_timeout = "30s";
    int pull_retries = 1;
    std::string pull_pin;  // pull.pin; "": the default (rollback)
    std::string startup_timeout = "60s";
    std::string validate_stable = "1s";
    std::string validate_timeout = "30s";
    // validate.checks items (flow YAML), added to the baseline
    std::vector<std::string> validate_checks;
    std::vector<StagedFile> staged_files;  // stage.files
    int backups = 3;                       // stage.backups
    bool stage_stop = false;               // stage.stop
    // How appspec.yml spells the hooks' folder in `location`: the agent joins it as written,
    // so "./hooks/" and "hooks//" run the same files as "hooks/".
    std::string hook_location = "hooks/";
};

// The three hook executables to put into bundles (build/<dir>/bin).
struct HookBinaries {
    fs::path dir;
};

// Writes the revision into dir (created); returns dir.
fs::path write_bundle(const fs::path& dir, const StackSpec& stack, const HookBinaries& hooks);

// The compose file and stagehand.yml text alone (for tests that look at them).
std::string compose_yaml(const StackSpec& stack);
std::string stagehand_yaml(const StackSpec& stack);

}  // namespace stagehand::integration
