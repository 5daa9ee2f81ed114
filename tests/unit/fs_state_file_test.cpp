// State files read back (os/fs/state_file.hpp; issue 13 item 9): missing is fine, damaged is
// moved aside as <name>.damaged with a warning naming it, unreadable is an error.
#include "os/fs/state_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/faulty_filesystem.hpp"
#include "support/recording_log.hpp"

namespace stagehand::os {
namespace {

using testing::FaultyFileSystem;
using testing::FsOp;

namespace stdfs = std::filesystem;

using testing::RecordingLog;

// A parser that wants "n=<digits>".
util::Result<int> parse_n(std::string_view text) {
    if (text.rfind("n=", 0) != 0 || text.size() == 2 ||
        text.find_first_not_of("0123456789", 2) != std::string_view::npos) {
        return util::Error{"expected n=<digits>", EINVAL};
    }
    return std::stoi(std::string(text.substr(2)));
}

class FsStateFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char name[] = "/tmp/stagehand-state-XXXXXX";
        ASSERT_NE(::mkdtemp(name), nullptr);
        m_dir = name;
        m_path = m_dir + "/state.txt";
    }
    void TearDown() override { stdfs::remove_all(m_dir); }
    static std::string read(const std::string& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    void write(const std::string& content) const {
        std::ofstream(m_path, std::ios::binary | std::ios::trunc) << content;
    }
    void write_older_damaged() const {
        std::ofstream(m_path + ".damaged", std::ios::binary | std::ios::trunc) << "older";
    }
    util::Result<std::optional<int>> read_state(FileSystem& fs,
                                                OnDamage on_damage = OnDamage::set_aside) {
        return read_state_file<int>(fs, m_log, m_path, parse_n, on_damage);
    }

    std::string m_dir;
    std::string m_path;
    PosixFileSystem m_fs;
    RecordingLog m_log;
};

TEST_F(FsStateFile, MissingIsAbsentAndGoodIsParsed) {
    auto missing = read_state(m_fs);
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing->has_value());
    write("n=42");
    auto good = read_state(m_fs);
    ASSERT_TRUE(good) << good.error().message;
    EXPECT_EQ(**good, 42);
    EXPECT_TRUE(m_log.warnings().empty());
}

TEST_F(FsStateFile, DamagedIsMovedAsideWithAWarningNamingIt) {
    for (const std::string& content : {std::string("n="), std::string("[1,2,3]"),
                                       std::string("\x7f"
                                                   "ELF\0\xff\xfe",
                                                   7)}) {
        SCOPED_TRACE(::testing::PrintToString(content));
        m_log.clear();
        write(content);
        write_older_damaged();
        auto read = read_state(m_fs);
        ASSERT_TRUE(read) << read.error().message;
        EXPECT_FALSE(read->has_value());
        EXPECT_FALSE(stdfs::exists(m_path));
        EXPECT_EQ(FsStateFile::read(m_path + ".damaged"), content);  // the older one replaced
        ASSERT_EQ(m_log.warnings().size(), 1u);
        EXPECT_EQ(m_log.warnings()[0], m_path +
                                           " is damaged (expected n=<digits>); moved aside to " +
                                           m_path + ".damaged, starting afresh");
    }
}

TEST_F(FsStateFile, DryRunOnlyWarns) {
    write("junk");
    auto read = read_state(m_fs, OnDamage::leave_in_place);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_FALSE(read->has_value());
    EXPECT_EQ(FsStateFile::read(m_path), "junk");
    EXPECT_FALSE(stdfs::exists(m_path + ".damaged"));
    ASSERT_EQ(m_log.warnings().size(), 1u);
    EXPECT_NE(m_log.warnings()[0].find(m_path + " is damaged"), std::string::npos);
}

TEST_F(FsStateFile, UnreadableOrNotMovableIsAnError) {
    write("junk");
    FaultyFileSystem faulty(m_fs);
    faulty.fail_nth(FsOp::rename, 1, EROFS);
    auto stuck = read_state(faulty);
    ASSERT_FALSE(stuck);
    EXPECT_EQ(stuck.error().code, EROFS);
    EXPECT_NE(stuck.error().message.find(m_path + " is damaged (expected n=<digits>) and could "
                                                  "not be moved aside"),
              std::string::npos)
        << stuck.error().message;
    faulty.fail_nth(FsOp::read_file, 1, EIO);
    auto unreadable = read_state(faulty);
    ASSERT_FALSE(unreadable);
    EXPECT_EQ(unreadable.error().code, EIO);
    EXPECT_EQ(FsStateFile::read(m_path), "junk");  // neither case moved it
}

TEST(StateJson, ObjectsOnlyAndNoBytesEchoed) {
    EXPECT_TRUE(parse_json_object("{\"a\": 1}"));
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty (truncated)"},
        {" \n", "empty (truncated)"},
        {"{\"a\": {\"b\"", "not valid JSON (byte 11)"},
        {"[1,2,3]", "a JSON array, not an object"},
        {"\"text\"", "a JSON string, not an object"},
        {std::string("\x7f"
                     "ELF\x1b[2J\xff",
                     8),
         "not valid JSON (byte 1)"},
    };
    for (const auto& [text, why] : cases) {
        auto parsed = parse_json_object(text);
        ASSERT_FALSE(parsed) << ::testing::PrintToString(text);
        EXPECT_EQ(parsed.error().message, why) << ::testing::PrintToString(text);
    }
}

}  // namespace
}  // namespace stagehand::os
