#include "hook_fixture.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "support/command.hpp"

namespace stagehand::hooks_test {

namespace {

constexpr std::chrono::milliseconds k_hook_limit{60000};

bool starts_like_a_verdict(const std::string& line) {
    for (const char* prefix : {"OK:", "FAILED:", "INTERRUPTED:"}) {
        if (line.rfind(prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t len = 1;
        std::uint32_t cp = lead;
        std::uint32_t min = 0;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            len = 2, cp = lead & 0x1Fu, min = 0x80;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            len = 3, cp = lead & 0x0Fu, min = 0x800;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            len = 4, cp = lead & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (i + len > text.size()) {
            return false;
        }
        for (std::size_t k = 1; k < len; ++k) {
            const auto byte = static_cast<unsigned char>(text[i + k]);
            if ((byte & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (byte & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

bool HookRun::has_line_containing(const std::string& part) const {
    return line_index(part) >= 0;
}

int HookRun::line_index(const std::string& part) const {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find(part) != std::string::npos) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

void HookTest::SetUp() {
    char name[] = "/tmp/stagehand-hooks-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr) << std::strerror(errno);
    m_dir = name;
    m_bundle = m_dir / "bundle";
    m_state = m_dir / "state";
    m_log = m_dir / "log";
    write_file(m_bundle / "appspec.yml",
               "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: " +
                   (m_dir / "install").string() +
                   "\nhooks:\n  BeforeInstall:\n    - location: hooks/before-install\n"
                   "      timeout: 300\n");
    write_file(m_bundle / "docker-compose.yml", "services:\n  web:\n    image: nginx:1\n");
    write_config();
}

void HookTest::TearDown() {
    for (auto it = m_mounts.rbegin(); it != m_mounts.rend(); ++it) {
        ::umount2(it->c_str(), MNT_DETACH);
    }
    if (!HasFailure()) {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    } else {
        std::cerr << "kept " << m_dir << " for inspection\n";
    }
}

std::string HookTest::hook_path(const std::string& hook) {
    return (fs::path(STAGEHAND_HOOK_DIR) / hook).string();
}

void HookTest::write_bundle_file(const std::string& name, const std::string& content) {
    write_file(m_bundle / name, content);
}

void HookTest::write_config(const std::string& extra) {
    write_bundle_file("stagehand.yml", "version: 1\nstate_dir: " + m_state.string() +
                                           "\nlog_dir: " + m_log.string() + "\n" + extra);
}

HookRun HookTest::run(const std::string& hook, std::vector<std::string> args,
                      const std::vector<std::string>& env) {
    // `sh -c 'exec "$0" "$@" 2>&1'`: one pipe for both streams keeps their order.
    std::vector<std::string> argv{"/bin/sh",       "-c",       "exec \"$0\" \"$@\" 2>&1",
                                  hook_path(hook), "--bundle", m_bundle.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> environment = hook_env();
    environment.insert(environment.end(), env.begin(), env.end());
    const auto result = integration::run_command(argv, k_hook_limit, environment);
    HookRun out;
    out.status = result.status;
    out.signal = result.signal;
    out.output = result.out + result.err;
    std::istringstream lines(out.output);
    for (std::string line; std::getline(lines, line);) {
        out.lines.push_back(line);
    }
    return out;
}

std::vector<std::string> HookTest::hook_env() const {
    return {"DOCKER_HOST=unix://" + (m_dir / "no-docker.sock").string(),
            "DEPLOYMENT_ID=" + m_deployment_id, "NO_COLOR=1"};
}

void HookTest::mount_tmpfs(const fs::path& at, const std::string& options) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a tmpfs needs root";
    }
    fs::create_directories(at);
    ASSERT_EQ(::mount("tmpfs", at.c_str(), "tmpfs", 0, options.c_str()), 0)
        << at << ": " << std::strerror(errno);
    m_mounts.push_back(at);
}

void HookTest::fill_up(const fs::path& folder) {
    std::FILE* file = std::fopen((folder / "filler").c_str(), "wb");
    ASSERT_NE(file, nullptr) << std::strerror(errno);
    const std::string block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), file) == block.size() &&
           std::fflush(file) == 0) {
    }
    std::fclose(file);
    // Small files fit in no block either: a tmpfs page is the unit.
    std::FILE* probe = std::fopen((folder / "probe").c_str(), "wb");
    ASSERT_NE(probe, nullptr);
    const bool full = std::fputc('x', probe) == EOF || std::fflush(probe) != 0;
    std::fclose(probe);
    ASSERT_TRUE(full) << folder << " is not full";
}

void HookTest::expect_clean_lines(const HookRun& run) {
    ASSERT_FALSE(run.lines.empty()) << "no output";
    EXPECT_TRUE(run.output.empty() || run.output.back() == '\n')
        << "the last line is not terminated:\n"
        << run.output;
    for (const auto& line : run.lines) {
        EXPECT_TRUE(valid_utf8(line)) << "invalid UTF-8: " << ::testing::PrintToString(line);
        EXPECT_LT(line.size(), 1024u) << line;
        for (const char c : line) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7F) {
                ADD_FAILURE() << "control character " << static_cast<int>(byte)
                              << " in: " << ::testing::PrintToString(line);
                break;
            }
        }
    }
}

void HookTest::expect_clean_output(const HookRun& run) {
    expect_clean_lines(run);
    const std::string verdict = run.last_line();
    EXPECT_TRUE(starts_like_a_verdict(verdict)) << "the verdict is not the last line:\n"
                                                << run.output;
    for (const auto& line : run.lines) {
        if (starts_like_a_verdict(line)) {
            EXPECT_EQ(line, verdict) << "a line looks like a verdict but is not it:\n"
                                     << run.output;
        }
    }
}

}  // namespace stagehand::hooks_test
