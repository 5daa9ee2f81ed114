// before-install's staging through the simulated agent, under both compose generations (SPEC
// section 6): a stage.files config file installed with its mode and recorded in the staging
// manifest; left alone by a re-deployment; replaced by a new revision with a backup in
// state_dir/backups; restored by the rollback; the appspec copy destination emptied so a stale
// file there does not fail the agent's Install step; and an unsafe destination refused with
// exit 2 before anything is touched.

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

const std::string k_rev1 = "# app.conf of revision 1\nlisten = 8080\n";
const std::string k_rev2 = "# app.conf of revision 2\nlisten = 9090\nworkers = 4\n";

struct FileId {
    ino_t inode = 0;
    long long mtime_ns = -1;
    unsigned mode = 0;
    bool operator==(const FileId&) const = default;
};

FileId file_id(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    return {st.st_ino, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
            static_cast<unsigned>(st.st_mode & 07777)};
}

std::string sha256_of(const fs::path& path) {
    const auto run = run_command({"sha256sum", path.string()});
    return run.ok() ? run.out.substr(0, 64) : "sha256sum failed: " + run.describe();
}

class StagingTest : public PerComposeTest {
  protected:
    void SetUp() override {
        PerComposeTest::SetUp();
        m_dest = m_dir / "conf" / "app.conf";
        m_port = free_port();
    }

    // One small service, and the config file staged to m_dest (mode 0640, bundle copy 0644).
    StackSpec revision(const std::string& content, const fs::path& destination = {}) {
        auto spec = stack({service("rabbitmq", standin_image("rabbitmq"), m_port,
                                   {"--peak-mib", "16", "--ramp-s", "0.2"})});
        spec.staged_files = {
            {"deploy/app.conf", destination.empty() ? m_dest : destination, "0640", content}};
        return spec;
    }

    // The manifest's entry for m_dest: {"path", "sha256", ...}, or null.
    nlohmann::json manifest_entry() const {
        const auto manifest = nlohmann::json::parse(
            read_text(m_dir / "state" / "staging-manifest.json"), nullptr, false);
        if (manifest.is_object()) {
            for (const auto& file : manifest["projects"][m_project]["files"]) {
                if (file.value("path", "") == m_dest.string()) {
                    return file;
                }
            }
        }
        return nullptr;
    }

    // Contents of every backup under state_dir/backups, oldest first (names sort by time).
    std::vector<std::string> backups() const {
        std::vector<fs::path> paths;
        std::error_code ec;
        for (const auto& entry :
             fs::recursive_directory_iterator(m_dir / "state" / "backups", ec)) {
            if (entry.is_regular_file()) {
                paths.push_back(entry.path());
            }
        }
        std::sort(paths.begin(), paths.end());
        std::vector<std::string> contents;
        for (const auto& path : paths) {
            contents.push_back(read_text(path));
        }
        return contents;
    }

    void expect_staged(const std::string& content) {
        EXPECT_EQ(read_text(m_dest), content);
        EXPECT_EQ(file_id(m_dest).mode, 0640u) << "stage.files mode not applied";
        const auto entry = manifest_entry();
        ASSERT_TRUE(entry.is_object()) << read_text(m_dir / "state" / "staging-manifest.json");
        EXPECT_EQ(entry.value("sha256", ""), sha256_of(m_dest)) << entry.dump();
    }

    fs::path m_dest;
    int m_port = 0;
};

TEST_P(StagingTest, FirstDeploymentInstallsTheFileAndRedeployingLeavesItAlone) {
    const fs::path rev1 = bundle(revision(k_rev1), "rev1");
    expect_deployed(deploy(rev1));
    expect_staged(k_rev1);
    const FileId first = file_id(m_dest);
    expect_deployed(deploy(rev1));
    EXPECT_EQ(file_id(m_dest), first) << "the unchanged file was rewritten";
    expect_staged(k_rev1);
    EXPECT_TRUE(backups().empty()) << "backed up a file that never changed";
}

TEST_P(StagingTest, NewRevisionReplacesTheFileWithABackupAndRollbackRestoresIt) {
    const fs::path rev1 = bundle(revision(k_rev1), "rev1");
    expect_deployed(deploy(rev1));
    expect_deployed(deploy(bundle(revision(k_rev2), "rev2")));
    expect_staged(k_rev2);
    EXPECT_EQ(backups(), std::vector<std::string>{k_rev1});
    // The agent's rollback: revision 1 deployed again.
    expect_deployed(deploy(rev1));
    expect_staged(k_rev1);
    EXPECT_EQ(sha256_of(m_dest), sha256_of(rev1 / "deploy" / "app.conf"));
    EXPECT_EQ(backups(), (std::vector<std::string>{k_rev1, k_rev2}));
}

TEST_P(StagingTest, StaleFileInTheCopyDestinationDoesNotFailTheInstallStep) {
    const auto spec = revision(k_rev1);
    // Left by a hand-made deploy: the agent (file_exists_behavior DISALLOW) refuses to copy
    // over a file it did not create, unless before-install's clean removed it.
    fs::create_directories(spec.install_dir / "old");
    std::ofstream(spec.install_dir / "revision.txt") << "copied by hand\n";
    std::ofstream(spec.install_dir / "old" / "stale.txt") << "stale\n";
    const auto run = deploy(bundle(spec, "rev1"));
    expect_deployed(run);
    EXPECT_EQ(read_text(spec.install_dir / "revision.txt"), m_project + "\n");
    EXPECT_FALSE(fs::exists(spec.install_dir / "old")) << "stale folder left";
    expect_staged(k_rev1);
}

TEST_P(StagingTest, DestinationThroughASymlinkIsRefusedBeforeAnythingChanges) {
    expect_deployed(deploy(bundle(revision(k_rev1), "rev1")));
    const auto before = m_docker.service_container(m_project, "rabbitmq");
    const FileId staged = file_id(m_dest);
    const std::string manifest = read_text(m_dir / "state" / "staging-manifest.json");
    // The same file as m_dest, reached through a symlink; stop: true would stop the stack.
    fs::create_directory_symlink(m_dest.parent_path(), m_dir / "conf-link");
    auto bad = revision(k_rev2, m_dir / "conf-link" / "app.conf");
    bad.stage_stop = true;
    const auto run = deploy(bundle(bad, "bad"));
    EXPECT_EQ(run.summary().value("failed_event", nlohmann::json()), "BeforeInstall") << run.dump();
    const auto hook = run.hook("BeforeInstall");
    expect_clean_hook(hook);
    const std::string tail = hook.value("tail", "");
    EXPECT_EQ(hook.value("exit_code", -1), 2) << tail;
    EXPECT_NE(tail.find("rule symlink"), std::string::npos) << tail;
    EXPECT_NE(tail.find("write " + m_dest.string() + " instead"), std::string::npos) << tail;
    EXPECT_NE(verdict_of(hook).find("invalid input, nothing was changed (exit 2)"),
              std::string::npos)
        << tail;
    // Nothing changed: the file, the manifest, the copy destination, the running container.
    EXPECT_EQ(file_id(m_dest), staged);
    EXPECT_EQ(read_text(m_dest), k_rev1);
    EXPECT_EQ(read_text(m_dir / "state" / "staging-manifest.json"), manifest);
    EXPECT_TRUE(backups().empty());
    EXPECT_TRUE(fs::exists(bad.install_dir / "revision.txt")) << "the clean folder was emptied";
    const auto after = m_docker.service_container(m_project, "rabbitmq");
    EXPECT_TRUE(after.running) << after.status;
    EXPECT_EQ(after.id, before.id);
    EXPECT_EQ(after.started_at, before.started_at) << "the container was restarted";
}

INSTANTIATE_TEST_SUITE_P(Compose, StagingTest, ::testing::ValuesIn(compose_generations()),
                         generation_name);

}  // namespace
}  // namespace stagehand::integration
