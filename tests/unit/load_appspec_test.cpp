#include "core/load/appspec_loader.hpp"
#include "runtime/input_files.hpp"
#include "support/bad_input.hpp"

#include <gtest/gtest.h>

namespace stagehand::core {
namespace {

const std::string k_fixtures = std::string(STAGEHAND_FIXTURES) + "/load";

Diagnostic appspec_error(const std::string& text) {
    return testing::diagnostic_of([&] { load_appspec_text(text, "appspec.yml"); }, text);
}

using BadRow = testing::BadInputRow;

const BadRow k_bad[] = {
    {"yaml syntax", "version: 0.0\nos: [linux\n", 2, 0, "", "invalid YAML"},
    {"version missing", "os: linux\n", 1, 1, "version", "required key `version`"},
    {"version quoted", "version: \"0.0\"\nos: linux\n", 1, 10, "version",
     "expected the unquoted number 0.0, got the string \"0.0\""},
    {"version 1", "version: 1.0\nos: linux\n", 1, 10, "version", "expected 0.0"},
    {"version 0", "version: 0\nos: linux\n", 1, 10, "version", "expected 0.0"},
    {"os missing", "version: 0.0\n", 1, 1, "os", "required key `os`"},
    {"os windows", "version: 0.0\nos: windows\n", 2, 5, "os", "expected linux"},
    {"os uppercase", "version: 0.0\nos: Linux\n", 2, 5, "os", "lowercase"},
    {"unknown top key", "version: 0.0\nos: linux\nhook: {}\n", 3, 1, "hook",
     "did you mean `hooks`?"},
    {"file_exists_behavior", "version: 0.0\nos: linux\nfile_exists_behavior: OVERWRIT\n", 3, 23,
     "file_exists_behavior", "did you mean `OVERWRITE`?"},
    {"files source missing", "version: 0.0\nos: linux\nfiles:\n  - destination: /opt/app\n", 4, 5,
     "files[0].source", "required key `source`"},
    {"files destination relative",
     "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: opt/app\n", 5, 18,
     "files[0].destination", "absolute path"},
    {"unknown event", "version: 0.0\nos: linux\nhooks:\n  AfterInstal:\n    - location: x\n", 4, 3,
     "hooks.AfterInstal", "unknown lifecycle event `AfterInstal`; did you mean `AfterInstall`?"},
    {"agent event", "version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: x\n", 4, 3,
     "hooks.Install", "belongs to the agent"},
    {"hook not a list", "version: 0.0\nos: linux\nhooks:\n  AfterInstall: hooks/x\n", 4, 17,
     "hooks.AfterInstall", "expected a list"},
    {"hook location missing",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 60\n", 5, 7,
     "hooks.AfterInstall[0].location", "required key `location`"},
    {"hook key typo",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: x\n      timout: 60\n", 6,
     7, "hooks.AfterInstall[0].timout", "did you mean `timeout`?"},
    {"timeout zero",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: x\n      timeout: 0\n", 6,
     16, "hooks.AfterInstall[0].timeout", "between 1 and 3600"},
    {"timeout too long",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: x\n      timeout: "
     "3601\n",
     6, 16, "hooks.AfterInstall[0].timeout", "between 1 and 3600"},
    {"timeout duration",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: x\n      timeout: 5m\n", 6,
     16, "hooks.AfterInstall[0].timeout", "expected an integer"},
    {"timeout quoted",
     "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: x\n      timeout: "
     "\"60\"\n",
     6, 16, "hooks.AfterInstall[0].timeout", "unquoted"},
};

TEST(LoadAppspec, RejectsEachClassOfBadInput) {
    for (const auto& row : k_bad) {
        SCOPED_TRACE(row.name);
        Diagnostic d = appspec_error(row.yaml);
        testing::expect_diagnostic(d, row, "appspec.yml");
    }
}

// Found by fuzz_appspec (yaml-cpp looped forever on it); NUL bytes are now refused first.
TEST(LoadAppspec, RejectsBinaryInput) {
    Diagnostic d = appspec_error(std::string("\0,i\0oN: 0\0\0,i\0oN: 0\n", 20));
    EXPECT_EQ(d.at.line, 1);
    EXPECT_EQ(d.at.column, 1);
    EXPECT_NE(d.message.find("NUL byte"), std::string::npos);
}

TEST(LoadAppspec, SpecExampleLoads) {
    Appspec a = runtime::load_appspec_file(k_fixtures + "/appspec.yml");
    EXPECT_EQ(a.os, "linux");
    EXPECT_EQ(a.file_exists_behavior, "DISALLOW");
    ASSERT_EQ(a.files.size(), 1U);
    EXPECT_EQ(a.files[0].source, "/");
    EXPECT_EQ(a.files[0].destination, "/opt/app/current");
    ASSERT_EQ(a.hooks.size(), 3U);
    const AppspecHook* after = a.find_hook("AfterInstall", "hooks/after-install");
    ASSERT_NE(after, nullptr);
    EXPECT_EQ(after->timeout_seconds, 1800);
    EXPECT_EQ(after->runas, "root");
    EXPECT_EQ(after->mark.line, 12);
    EXPECT_EQ(a.find_hook("ValidateService", "hooks/validate-service")->timeout_seconds, 600);
}

TEST(LoadAppspec, DefaultsAndOtherForms) {
    Appspec a = load_appspec_text(
        "version: 0.0\nos: linux\nfile_exists_behavior: OVERWRITE\npermissions: []\nhooks:\n"
        "  ApplicationStop:\n  BeforeInstall:\n    - location: hooks/before-install\n",
        "appspec.yml");
    EXPECT_EQ(a.file_exists_behavior, "OVERWRITE");
    EXPECT_TRUE(a.hooks.at("ApplicationStop").empty());
    EXPECT_EQ(a.hooks.at("BeforeInstall").at(0).timeout_seconds, 3600);
    EXPECT_FALSE(a.hooks.at("BeforeInstall").at(0).runas.has_value());
}

}  // namespace
}  // namespace stagehand::core
