// before-install SIGKILLed mid-staging, for real (issue 13 item 12): the half-written temp
// file it leaves (next to the destination, or next to a backup) is removed by the next run,
// which stages the whole file, and stage.backups still holds.

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "hook_fixture.hpp"
#include "support/command.hpp"

namespace stagehand::hooks_test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_big = 16 << 20;  // long enough to write that a kill lands mid-way
const std::string k_temp_prefix = ".stagehand-tmp-";

// Reports files created in one folder (inotify IN_CREATE).
class CreateWatch {
  public:
    explicit CreateWatch(const fs::path& folder) : m_fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
        EXPECT_GE(m_fd, 0);
        EXPECT_GE(::inotify_add_watch(m_fd, folder.c_str(), IN_CREATE), 0) << folder;
    }
    ~CreateWatch() { ::close(m_fd); }
    CreateWatch(const CreateWatch&) = delete;
    CreateWatch& operator=(const CreateWatch&) = delete;

    // The name of the first file created whose name starts with `prefix`, within `limit`.
    std::string wait_for(const std::string& prefix, std::chrono::milliseconds limit) {
        const auto until = Clock::now() + limit;
        alignas(inotify_event) std::array<char, 4096> buffer{};
        while (Clock::now() < until) {
            pollfd pfd{m_fd, POLLIN, 0};
            if (::poll(&pfd, 1, 20) <= 0) {
                continue;
            }
            const ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
            for (ssize_t at = 0; at < n;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + at);
                const std::string name = event->len > 0 ? event->name : "";
                if (name.rfind(prefix, 0) == 0) {
                    return name;
                }
                at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
        return "";
    }

  private:
    int m_fd;
};

std::vector<fs::path> temp_files_under(const fs::path& root) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.path().filename().string().rfind(k_temp_prefix, 0) == 0) {
            out.push_back(entry.path());
        }
    }
    return out;
}

class HookStagingTest : public HookTest {
  protected:
    void SetUp() override {
        HookTest::SetUp();
        m_dest = m_dir / "conf" / "big.bin";
        fs::create_directories(m_dest.parent_path());
        write_config(
            "stage:\n  backups: 1\n  files:\n    - source: deploy/big.bin\n"
            "      destination: " +
            m_dest.string() + "\n");
    }

    static std::string revision(char fill) { return std::string(k_big, fill); }

    // Starts before-install on revision `fill` and SIGKILLs it the moment one of our temp
    // files appears in `folder`. Returns that temp file's path.
    fs::path kill_mid_write(char fill, const fs::path& folder) {
        write_bundle_file("deploy/big.bin", revision(fill));
        CreateWatch watch(folder);
        auto child = integration::Child::start(
            {hook_path("before-install"), "--bundle", m_bundle.string()}, hook_env());
        // The kill races the write: at the lowest priority the hook yields the CPU to this
        // test the moment inotify wakes it, so a loaded host does not let it finish first.
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(child.pid()), 19);
        const std::string name = watch.wait_for(k_temp_prefix, std::chrono::seconds(30));
        ::kill(child.pid(), SIGKILL);
        const auto result = child.finish(std::chrono::seconds(10));
        EXPECT_FALSE(name.empty()) << "no temp file appeared in " << folder << "\n"
                                   << result.out << result.err;
        EXPECT_EQ(result.signal, SIGKILL) << "it finished before the kill: " << result.out;
        return folder / name;
    }

    // A temp file a SIGKILL left: there, ours (0600), not the whole new content.
    static void expect_left_behind(const fs::path& temp) {
        struct stat st {};
        ASSERT_EQ(::lstat(temp.c_str(), &st), 0) << temp << " is not there";
        EXPECT_EQ(st.st_mode & 07777, 0600u);
    }

    void expect_staged(char fill) {
        const auto result = run("before-install");
        EXPECT_EQ(result.status, 0) << result.output;
        expect_clean_output(result);
        EXPECT_EQ(fs::file_size(m_dest), k_big);
        EXPECT_EQ(read_file(m_dest), revision(fill)) << "the staged file is not revision " << fill;
        EXPECT_TRUE(temp_files_under(m_dir).empty())
            << "left: " << ::testing::PrintToString(temp_files_under(m_dir));
        EXPECT_TRUE(result.has_line_containing("a temporary file left by an interrupted run"))
            << result.output;
    }

    std::vector<std::string> backups() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::recursive_directory_iterator(m_state / "backups")) {
            if (entry.is_regular_file()) {
                out.push_back(read_file(entry.path()).substr(0, 1));
            }
        }
        return out;
    }

    fs::path m_dest;
};

TEST_F(HookStagingTest, SigkillMidStagingLeavesNothingAfterTheNextRun) {
    // Killed while writing the first revision: a half-written temp file beside the
    // destination, which does not exist yet.
    expect_left_behind(kill_mid_write('a', m_dest.parent_path()));
    EXPECT_FALSE(fs::exists(m_dest));
    expect_staged('a');

    // Killed while backing up revision a before installing b: the temp file is in the
    // backup folder, the destination still holds a.
    std::string escaped;  // core::escape_destination()
    for (const char c : m_dest.string().substr(1)) {
        escaped += c == '/'   ? std::string("%2F")
                   : c == '%' ? std::string("%25")
                              : std::string(1, c);
    }
    fs::create_directories(m_state / "backups" / escaped);
    expect_left_behind(kill_mid_write('b', m_state / "backups" / escaped));
    EXPECT_EQ(read_file(m_dest), revision('a'));
    expect_staged('b');
    EXPECT_EQ(backups(), std::vector<std::string>{"a"}) << "stage.backups is 1";
}

}  // namespace
}  // namespace stagehand::hooks_test
