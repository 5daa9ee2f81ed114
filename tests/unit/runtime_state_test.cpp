// state_dir files of the runtime (runtime/run_state.hpp) read back damaged: profiles.json and
// a deployment report, truncated, wrongly shaped and binary, are moved aside with a warning
// and the run goes on; nothing throws (issue 13 item 9: `{"proj":[1,2,3]}` in profiles.json
// failed every deploy with json type_error.305 once all services were ready).
#include "runtime/run_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/recording_log.hpp"

namespace stagehand::runtime {
namespace {

namespace stdfs = std::filesystem;

using testing::RecordingLog;

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const std::string& path, const std::string& content) {
    stdfs::create_directories(stdfs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

// Damaged contents every reader must survive.
const std::vector<std::pair<std::string, std::string>> k_damaged_profiles{
    {"truncated", "{\"proj\": {\"web\": {\"peak_bytes\": 1048"},
    {"empty", ""},
    {"wrong shape", "{\"proj\":[1,2,3]}"},
    {"string peak", "{\"proj\": {\"web\": {\"peak_bytes\": \"1g\", \"ready_ms\": 5}}}"},
    {"negative peak", "{\"proj\": {\"web\": {\"peak_bytes\": -5, \"ready_ms\": 5}}}"},
    {"array", "[{\"proj\": {}}]"},
    {"binary", std::string("\x7f"
                           "ELF\x02\x01\0\0\xff\xfe\x1b[2J",
                           14)},
};

class RuntimeState : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/stagehand-runstate-XXXXXX";
        ASSERT_NE(::mkdtemp(name), nullptr);
        m_state = name;
    }
    void TearDown() override { stdfs::remove_all(m_state); }
    std::string profiles_path() const { return m_state + "/profiles.json"; }

    std::string m_state;
    RecordingLog m_log;
};

TEST_F(RuntimeState, ProfilesRoundTripPerProject) {
    core::Profiles learned{{"web", {64 * core::k_mib, core::Millis(1500)}}};
    ASSERT_TRUE(write_profiles(m_state, "proj", learned, m_log));
    ASSERT_TRUE(write_profiles(m_state, "other", {{"db", {1, core::Millis(2)}}}, m_log));
    const auto back = read_profiles(m_state, "proj", m_log);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back.at("web").peak, 64 * core::k_mib);
    EXPECT_EQ(back.at("web").time_to_ready, core::Millis(1500));
    EXPECT_EQ(read_profiles(m_state, "other", m_log).size(), 1u);
    EXPECT_TRUE(m_log.warnings().empty());
}

TEST_F(RuntimeState, DamagedProfilesAreMovedAsideAndReplaced) {
    for (const auto& [name, content] : k_damaged_profiles) {
        SCOPED_TRACE(name);
        m_log.clear();
        write(profiles_path(), content);
        core::Profiles read_back;
        EXPECT_NO_THROW(read_back = read_profiles(m_state, "proj", m_log));
        EXPECT_TRUE(read_back.empty());
        EXPECT_EQ(read(profiles_path() + ".damaged"), content);
        ASSERT_EQ(m_log.warnings().size(), 1u);
        EXPECT_EQ(m_log.warnings()[0].rfind(profiles_path() + " is damaged (", 0), 0u)
            << m_log.warnings()[0];
        // The save after a successful start: a fresh file, no exception.
        write(profiles_path(), content);
        util::Status saved;
        EXPECT_NO_THROW(saved = write_profiles(m_state, "proj",
                                               {{"web", {core::k_mib, core::Millis(9)}}}, m_log));
        ASSERT_TRUE(saved) << saved.error().message;
        EXPECT_EQ(read_profiles(m_state, "proj", m_log).at("web").peak, core::k_mib);
    }
}

TEST_F(RuntimeState, DryRunLeavesDamagedProfilesInPlace) {
    write(profiles_path(), "{\"proj\":[1,2,3]}");
    EXPECT_TRUE(read_profiles(m_state, "proj", m_log, os::OnDamage::leave_in_place).empty());
    EXPECT_EQ(read(profiles_path()), "{\"proj\":[1,2,3]}");
    EXPECT_FALSE(stdfs::exists(profiles_path() + ".damaged"));
    EXPECT_EQ(m_log.warnings().size(), 1u);
}

TEST_F(RuntimeState, DamagedReportIsMovedAsideAndRewritten) {
    RunState state(m_state, "after-install", "proj", "d-1");
    ASSERT_TRUE(state.prepare());
    for (const std::string& content :
         {std::string("{\"hooks\": {\"before-install\": {\"out"), std::string("{\"hooks\": [1]}"),
          std::string("{\"hooks\": \"x\"}"), std::string("[]"),
          std::string("\x1f\x8b\x08\0\xff\xfe", 6)}) {
        SCOPED_TRACE(::testing::PrintToString(content));
        m_log.clear();
        write(state.report_path(), content);
        util::Status written;
        EXPECT_NO_THROW(written =
                            state.write_report({{"start", {{"services", 1}}}}, ExitCode::success,
                                               "/b", std::chrono::system_clock::now(), m_log));
        ASSERT_TRUE(written) << written.error().message;
        EXPECT_EQ(read(state.report_path() + ".damaged"), content);
        EXPECT_EQ(m_log.warnings().size(), 1u);
        const auto report = nlohmann::json::parse(read(state.report_path()));
        EXPECT_EQ(report["hooks"]["after-install"]["outcome"], "succeeded");
    }
}

TEST_F(RuntimeState, ReportWithInvalidUtf8IsWrittenNotThrown) {
    RunState state(m_state, "after-install", "proj", "d-1");
    ASSERT_TRUE(state.prepare());
    util::Status written;
    EXPECT_NO_THROW(written = state.write_report({{"image", "caf\xe9\xff"}}, ExitCode::step_failed,
                                                 "/b", std::chrono::system_clock::now(), m_log));
    ASSERT_TRUE(written) << written.error().message;
    const auto report = nlohmann::json::parse(read(state.report_path()), nullptr, false);
    ASSERT_FALSE(report.is_discarded());
    EXPECT_EQ(report["hooks"]["after-install"]["image"], "caf\xEF\xBF\xBD\xEF\xBF\xBD");
}

// A SIGKILL while a report or profiles.json was being written leaves a temp file; the next
// run removes it under the lock, and only files of that exact name pattern (issue 13 item 12).
TEST_F(RuntimeState, TidyRemovesTempFilesOfAKilledRun) {
    RunState state(m_state, "after-install", "proj", "d-1");
    ASSERT_TRUE(state.prepare());
    const std::string in_state = m_state + "/.stagehand-tmp-0123456789abcdef";
    const std::string in_reports = m_state + "/reports/.stagehand-tmp-abcdefghijklmnop";
    const std::string look_alike = m_state + "/.stagehand-tmp-keep";
    write(in_state, "{\"pro");
    write(in_reports, "{\"hoo");
    write(look_alike, "mine");
    state.tidy(m_log);
    EXPECT_FALSE(stdfs::exists(in_state));
    EXPECT_FALSE(stdfs::exists(in_reports));
    EXPECT_TRUE(stdfs::exists(look_alike));
    EXPECT_TRUE(m_log.warnings().empty());
}

// A run without a DEPLOYMENT_ID (by hand, or the boot unit) is named by its kind and the UTC
// time it began, in a form that is a safe file name and sorts by time.
TEST(RunId, IsThePrefixAndTheUtcTimeAsAFileName) {
    const std::string id = timestamped_run_id("boot-stop");
    ASSERT_EQ(id.size(), std::string("boot-stop-20261206T134100Z").size()) << id;
    EXPECT_EQ(id.rfind("boot-stop-", 0), 0u) << id;
    EXPECT_EQ(id[18], 'T') << id;
    EXPECT_EQ(id.back(), 'Z') << id;
    EXPECT_EQ(safe_file_name(id), id);
    EXPECT_LE(id.substr(10), timestamped_run_id("x").substr(2));
}

}  // namespace
}  // namespace stagehand::runtime
