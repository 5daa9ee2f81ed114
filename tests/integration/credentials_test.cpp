// Registry credentials the way the docker CLI finds them (SPEC section 10), against a second
// local registry (Debian's docker-registry) that requires htpasswd (bcrypt) authentication:
// a pull with `auths` and with a credHelpers helper works; a wrong password, a missing helper,
// a helper that hangs and Debian's amazon-ecr-credential-helper without AWS credentials each
// fail AfterInstall with exit 1, a verdict naming the registry and the helper, and no service
// touched. The password and the base64 credential appear nowhere stagehand writes.

#include <fstream>

#include "support/command.hpp"
#include "support/stack_test.hpp"

namespace stagehand::integration {
namespace {

constexpr const char* k_user = "stagehand";
// ECR-shaped: the helper fails before any network use (AWS_EC2_METADATA_DISABLED, no keys),
// and stagehand never asks Docker to pull from it after a credential failure.
constexpr const char* k_ecr_host = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

std::string base64(const std::string& text) {
    static const char* k_alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 3) {
        unsigned chunk = 0;
        const std::size_t n = std::min<std::size_t>(3, text.size() - i);
        for (std::size_t j = 0; j < 3; ++j) {
            chunk = (chunk << 8) | (j < n ? static_cast<unsigned char>(text[i + j]) : 0u);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? k_alphabet[(chunk >> (18 - 6 * j)) & 0x3F] : '=';
        }
    }
    return out;
}

class CredentialsTest : public StackTest {
  protected:
    void SetUp() override {
        StackTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        m_password = "pw-" + m_project + "-Zq7";
        start_registry();
        // Push with a private docker config (never root's own).
        const std::string login_dir = (m_dir / "login").string();
        const auto login = run_command(
            {"docker", "--config", login_dir, "login", "-u", k_user, "-p", m_password, m_host});
        ASSERT_TRUE(login.ok()) << login.describe();
        m_image = m_host + "/it/app:1";
        ASSERT_TRUE(run_command({"docker", "tag", standin_image("rabbitmq"), m_image}).ok());
        const auto pushed = run_command({"docker", "--config", login_dir, "push", m_image});
        ASSERT_TRUE(pushed.ok()) << pushed.describe();
        // Only the tag goes: the pull must ask the registry (and so authenticate).
        ASSERT_TRUE(run_command({"docker", "rmi", m_image}).ok());
        fs::create_directories(m_dir / "bin");
        fs::create_directories(m_dir / "dockercfg");
    }

    void TearDown() override {
        // Before the fixture's check that nothing of the test is left running.
        if (m_registry_pid > 0) {
            stop_process(m_registry_pid, SIGTERM, Millis(10000));
        }
        StackTest::TearDown();
        if (!m_image.empty()) {
            run_command({"docker", "rmi", m_image});
        }
    }

    void start_registry() {
        const int port = free_port();
        m_host = "127.0.0.1:" + std::to_string(port);
        const fs::path dir = m_dir / "registry";
        fs::create_directories(dir / "data");
        const auto hashed = run_command({"htpasswd", "-Bbn", k_user, m_password});
        ASSERT_TRUE(hashed.ok()) << "htpasswd (apache2-utils): " << hashed.describe();
        std::ofstream(dir / "htpasswd") << hashed.out;
        std::ofstream(dir / "config.yml")
            << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: "
            << (dir / "data").string() << "\nhttp:\n  addr: " << m_host
            << "\nauth:\n  htpasswd:\n    realm: stagehand-it\n    path: "
            << (dir / "htpasswd").string() << "\n";
        m_registry_pid = spawn_daemon({"docker-registry", "serve", (dir / "config.yml").string()},
                                      (dir / "registry.log").string());
        ASSERT_GT(m_registry_pid, 0);
        // It answers 401 to an anonymous /v2/ once it listens.
        const bool up = wait_for(
            [&] {
                return run_command({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "--max-time", "1", "http://" + m_host + "/v2/"})
                           .out == "401";
            },
            Millis(15000));
        ASSERT_TRUE(up) << read_text(dir / "registry.log");
    }

    void config(const std::string& json) {
        std::ofstream(m_dir / "dockercfg" / "config.json") << json;
    }

    void helper(const std::string& name, const std::string& body) {
        const fs::path file = m_dir / "bin" / ("docker-credential-" + name);
        std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
        fs::permissions(file, fs::perms::owner_all);
    }

    std::string auth() const { return base64(std::string(k_user) + ":" + m_password); }

    SimResult deploy_image(const std::string& image) {
        auto app = service("app", image, free_port(), {"--peak-mib", "16", "--ramp-s", "0.2"});
        const char* path = std::getenv("PATH");
        return deploy(bundle(stack({app}), "rev"),
                      {"DOCKER_CONFIG=" + (m_dir / "dockercfg").string(),
                       "PATH=" + (m_dir / "bin").string() + ":" + (path ? path : "/usr/bin:/bin"),
                       "HOME=" + m_dir.string(), "AWS_EC2_METADATA_DISABLED=true",
                       "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_CONFIG_FILE=/nonexistent"});
    }

    // AfterInstall failed with exit 1, its verdict naming each of `parts`, and no container.
    void expect_refused(const SimResult& run, const std::vector<std::string>& parts) {
        const auto hook = run.hook("AfterInstall");
        EXPECT_EQ(hook.value("exit_code", -1), 1) << run.dump();
        const std::string verdict = verdict_of(hook);
        for (const auto& part : parts) {
            EXPECT_NE(verdict.find(part), std::string::npos) << part << " not in: " << verdict;
        }
        EXPECT_NE(verdict.find("no service was touched"), std::string::npos) << verdict;
        EXPECT_TRUE(m_docker.project_containers(m_project).empty());
        EXPECT_TRUE(run.hook("ValidateService").empty());
    }

    // Neither the password nor the base64 credential is in anything the run wrote or printed.
    void expect_no_secret(const SimResult& run) {
        std::vector<std::string> texts{run.dump()};
        for (const auto& root : {m_dir / "state", m_dir / "logs"}) {
            std::error_code ec;
            for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end;
                 it.increment(ec)) {
                if (it->is_regular_file()) {
                    texts.push_back(read_text(it->path()));
                }
            }
        }
        ASSERT_GT(texts.size(), 2u);
        for (const auto& text : texts) {
            EXPECT_EQ(text.find(m_password), std::string::npos) << text.substr(0, 2000);
            EXPECT_EQ(text.find(auth()), std::string::npos);
        }
    }

    std::string m_password;
    std::string m_host;
    std::string m_image;
    pid_t m_registry_pid = -1;
};

// The control: this registry refuses an anonymous pull, so the passing pulls below prove the
// credentials reached it.
TEST_F(CredentialsTest, WithoutCredentialsTheRegistryRefuses) {
    config("{}");
    expect_refused(deploy_image(m_image), {m_image, "no basic auth credentials"});
}

TEST_F(CredentialsTest, AuthsFromDockerLoginPull) {
    config(R"({"auths": {")" + m_host + R"(": {"auth": ")" + auth() + R"("}}})");
    const auto run = deploy_image(m_image);
    expect_deployed(run);
    expect_no_secret(run);
}

TEST_F(CredentialsTest, ACredHelperPulls) {
    helper("it", "read host\necho '{\"ServerURL\":\"'$host'\",\"Username\":\"" +
                     std::string(k_user) + "\",\"Secret\":\"" + m_password + "\"}'");
    config(R"({"credHelpers": {")" + m_host + R"(": "it"}})");
    const auto run = deploy_image(m_image);
    expect_deployed(run);
    expect_no_secret(run);
}

TEST_F(CredentialsTest, AWrongPasswordNamesTheRegistryAndTheHelper) {
    helper("wrong", "echo '{\"Username\":\"" + std::string(k_user) + "\",\"Secret\":\"nope\"}'");
    config(R"({"credHelpers": {")" + m_host + R"(": "wrong"}})");
    const auto run = deploy_image(m_image);
    expect_refused(run, {m_host, "docker-credential-wrong"});
    expect_no_secret(run);
}

TEST_F(CredentialsTest, AMissingHelperNamesTheRegistryAndTheHelper) {
    config(R"({"credHelpers": {")" + m_host + R"(": "absent"}})");
    expect_refused(deploy_image(m_image),
                   {"registry " + m_host, "docker-credential-absent", "is not installed"});
}

TEST_F(CredentialsTest, AHangingHelperIsBoundedInTime) {
    helper("hangs", "exec sleep 300");
    config(R"({"credHelpers": {")" + m_host + R"(": "hangs"}})");
    const auto began = std::chrono::steady_clock::now();
    expect_refused(deploy_image(m_image),
                   {"registry " + m_host, "docker-credential-hangs", "did not answer within 10s"});
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(60));
}

TEST_F(CredentialsTest, TheEcrHelperWithoutAwsCredentialsIsNamed) {
    if (run_command({"sh", "-c", "command -v docker-credential-ecr-login"}).status != 0) {
        FAIL() << "docker-credential-ecr-login missing: rig/install-deps.sh installs "
                  "amazon-ecr-credential-helper";
    }
    config(std::string(R"({"credHelpers": {")") + k_ecr_host + R"(": "ecr-login"}})");
    const auto began = std::chrono::steady_clock::now();
    expect_refused(deploy_image(std::string(k_ecr_host) + "/app:1"),
                   {"registry " + std::string(k_ecr_host), "docker-credential-ecr-login",
                    "has no credentials for it"});
    // Offline and fast: the helper fails on the missing credentials, not on a network wait.
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30));
}

}  // namespace
}  // namespace stagehand::integration
