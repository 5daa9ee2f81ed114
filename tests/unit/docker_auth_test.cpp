// Registry credentials from the docker CLI's config.json, sent as X-Registry-Auth.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "docker_test_support.hpp"
#include "os/docker/registry_auth.hpp"
#include "os/process/posix_runner.hpp"

namespace stagehand::os {
namespace {

using namespace std::chrono_literals;

nlohmann::json decoded_header(const std::string& header) {
    auto text = base64_decode(header);
    EXPECT_TRUE(text.has_value());
    return nlohmann::json::parse(text.value_or("{}"));
}

TEST(DockerAuth, Base64RoundTrip) {
    for (const std::string s : {"", "a", "ab", "abc", "abcd", "user:p@ss/w?rd>>~"}) {
        EXPECT_EQ(base64_decode(base64_encode(s, true)).value_or("?"), s) << s;
        EXPECT_EQ(base64_decode(base64_encode(s, false)).value_or("?"), s) << s;
    }
    EXPECT_EQ(base64_encode("user:pass", false), "dXNlcjpwYXNz");
    EXPECT_EQ(base64_encode("\xfb\xff", true), "-_8=");
    EXPECT_FALSE(base64_decode("not base64!").has_value());
}

TEST(DockerAuth, RegistryHostOfAnImage) {
    EXPECT_EQ(registry_host("redis"), "docker.io");
    EXPECT_EQ(registry_host("library/redis:7"), "docker.io");
    EXPECT_EQ(registry_host("randhand/kafka:1"), "docker.io");
    EXPECT_EQ(registry_host("127.0.0.1:5000/randhand/kafka:1"), "127.0.0.1:5000");
    EXPECT_EQ(registry_host("localhost/x"), "localhost");
    EXPECT_EQ(registry_host("123.dkr.ecr.us-east-1.amazonaws.com/app:1"),
              "123.dkr.ecr.us-east-1.amazonaws.com");
}

TEST(DockerAuth, HeaderFromConfig) {
    const std::string config = R"({
      "auths": {
        "https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"},
        "127.0.0.1:5000": {"auth": "Ym9iOnNlY3JldDp3aXRoOmNvbG9ucw=="},
        "https://123.dkr.ecr.us-east-1.amazonaws.com": {"identitytoken": "tok"},
        "helper.example.com": {}
      },
      "credHelpers": {"helper.example.com": "ecr-login"}
    })";
    auto hub = auth_header_from_config(config, "docker.io");
    ASSERT_TRUE(hub.ok());
    EXPECT_EQ(decoded_header(*hub),
              nlohmann::json({{"username", "user"},
                              {"password", "pass"},
                              {"serveraddress", "https://index.docker.io/v1/"}}));
    auto local = auth_header_from_config(config, "127.0.0.1:5000");
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(decoded_header(*local)["password"], "secret:with:colons");
    auto ecr = auth_header_from_config(config, "123.dkr.ecr.us-east-1.amazonaws.com");
    ASSERT_TRUE(ecr.ok());
    EXPECT_EQ(decoded_header(*ecr)["identitytoken"], "tok");
    EXPECT_EQ(*auth_header_from_config(config, "helper.example.com"), "");  // helper: anonymous
    EXPECT_EQ(*auth_header_from_config(config, "other.example.com"), "");
    EXPECT_EQ(*auth_header_from_config("{}", "docker.io"), "");
    EXPECT_EQ(*auth_header_from_config(R"({"auths": 5})", "docker.io"), "");
}

TEST(DockerAuth, BadConfigIsAnErrorWithoutTheSecret) {
    EXPECT_FALSE(auth_header_from_config("nope", "docker.io").ok());
    auto bad = auth_header_from_config(R"({"auths":{"r.io":{"auth":"c2VjcmV0"}}})", "r.io");
    ASSERT_FALSE(bad.ok());  // "secret": no colon
    EXPECT_EQ(bad.error().message.find("secret"), std::string::npos);
    EXPECT_EQ(bad.error().message.find("c2VjcmV0"), std::string::npos);
}

TEST(DockerAuth, ConfigPathFollowsDockerConfigElseTheUsersHome) {
    EXPECT_EQ(docker_config_path("/etc/dc", "/home/u"), "/etc/dc/config.json");
    EXPECT_EQ(docker_config_path(nullptr, "/home/u"), "/home/u/.docker/config.json");
    EXPECT_EQ(docker_config_path("", "/root"), "/root/.docker/config.json");
    EXPECT_EQ(docker_config_path(nullptr, "/"), "/.docker/config.json");
}

TEST(DockerAuth, HomeComesFromPasswdNotFromHome) {
    const std::string passwd =
        "root:x:0:0:root:/root:/bin/bash\n"
        "# a comment\n"
        "ec2-user:x:1000:1000:EC2 Default User:/home/ec2-user:/bin/bash\n"
        "short:x:1001:1001\n";
    EXPECT_EQ(user_home(passwd, 1000, "/tmp/elsewhere"), "/home/ec2-user");
    EXPECT_EQ(user_home(passwd, 0, nullptr), "/root");
    EXPECT_EQ(user_home(passwd, 1001, "/home/from-env"), "/home/from-env");  // no home field
    EXPECT_EQ(user_home("", 0, nullptr), "/root");
    EXPECT_EQ(user_home("", 1002, ""), "/");
}

TEST(DockerAuth, CredentialSourceFollowsTheCliOrder) {
    const std::string config = R"({
      "auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"}, "ecr.example": {}},
      "credsStore": "desktop",
      "credHelpers": {"https://ecr.example": "ecr-login", "empty.example": ""}
    })";
    auto ecr = credential_source(config, "ecr.example");
    ASSERT_TRUE(ecr.ok());
    EXPECT_EQ(ecr->helper, "ecr-login");
    EXPECT_EQ(ecr->helper_key, "credHelpers");
    auto local = credential_source(config, "127.0.0.1:5000");
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->helper, "desktop");  // credsStore serves every other registry
    EXPECT_EQ(local->helper_key, "credsStore");
    EXPECT_FALSE(local->header.empty());  // the fallback when the store has nothing
    auto plain = credential_source(R"({"auths":{"r.io":{"auth":"dTpw"}}})", "r.io");
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->helper, "");
    EXPECT_EQ(decoded_header(plain->header)["username"], "u");
}

TEST(DockerAuth, HelperAnswers) {
    EXPECT_EQ(helper_server_url("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(helper_server_url("127.0.0.1:5001"), "127.0.0.1:5001");
    auto basic = header_from_helper_output(
        R"({"ServerURL":"r.io","Username":"bob","Secret":"s3cret"})", "r.io");
    ASSERT_TRUE(basic.ok());
    EXPECT_EQ(
        decoded_header(*basic),
        nlohmann::json({{"username", "bob"}, {"password", "s3cret"}, {"serveraddress", "r.io"}}));
    auto token = header_from_helper_output(R"({"Username":"<token>","Secret":"tok"})", "r.io");
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(decoded_header(*token)["identitytoken"], "tok");
    EXPECT_FALSE(decoded_header(*token).contains("password"));
    auto bad = header_from_helper_output("Secret=s3cret", "r.io");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.find("s3cret"), std::string::npos);
}

// A ProcessRunner that records the spec and answers as scripted.
class ScriptedRunner final : public ProcessRunner {
  public:
    ProcessOutcome answer;
    std::vector<ProcessSpec> specs;
    util::Result<ProcessOutcome> run(const ProcessSpec& spec, MonoTime, const Cancel&) override {
        specs.push_back(spec);
        return answer;
    }
};

struct AuthFixture {
    testing_support::TempDir dir;
    std::shared_ptr<ScriptedRunner> runner = std::make_shared<ScriptedRunner>();
    std::string path = (dir.path / "config.json").string();

    util::Result<RegistryCredential> ask(const std::string& config, const std::string& image) {
        std::ofstream(path) << config;
        DockerConfigAuth auth(path, runner);
        const Cancel cancel;
        return auth.credential_for(image, std::chrono::steady_clock::now() + 10s, cancel);
    }
};

TEST(DockerAuth, AMissingHelperNamesTheRegistryAndTheHelper) {
    AuthFixture f;
    auto got =
        f.ask(R"({"credHelpers":{"r.example:5001":"stagehand-none"}})", "r.example:5001/app:1");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, EACCES);
    for (const char* part : {"registry r.example:5001", "docker-credential-stagehand-none",
                             "credHelpers in ", "is not installed"}) {
        EXPECT_NE(got.error().message.find(part), std::string::npos) << got.error().message;
    }
    EXPECT_TRUE(f.runner->specs.empty());
}

// Helpers as small scripts in a temp folder put first on PATH for the test (restored after),
// run through the real process runner: the protocol as docker-credential-* programs speak it.
class HelperTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const char* path = std::getenv("PATH");
        m_old_path = path != nullptr ? path : "";
        ::setenv("PATH", (m_dir.path.string() + ":" + m_old_path).c_str(), 1);
    }
    void TearDown() override { ::setenv("PATH", m_old_path.c_str(), 1); }

    void helper(const std::string& name, const std::string& body) {
        const auto file = m_dir.path / ("docker-credential-" + name);
        std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
        std::filesystem::permissions(file, std::filesystem::perms::owner_all);
    }
    util::Result<RegistryCredential> ask(const std::string& config, const std::string& image) {
        const std::string path = (m_dir.path / "config.json").string();
        std::ofstream(path) << config;
        DockerConfigAuth auth(path, std::make_shared<PosixProcessRunner>(), 1s);
        const Cancel cancel;
        return auth.credential_for(image, std::chrono::steady_clock::now() + 10s, cancel);
    }

    testing_support::TempDir m_dir;
    std::string m_old_path;
};

TEST_F(HelperTest, AHelperGetsTheHostOnStdinAndItsAnswerBecomesTheHeader) {
    helper("it", "read host; echo \"$1 $host\" > " + (m_dir.path / "asked").string() +
                     "; echo '{\"ServerURL\":\"'$host'\",\"Username\":\"bob\",\"Secret\":\"pw\"}'");
    auto got = ask(R"({"credHelpers":{"r.example:5001":"it"}})", "r.example:5001/app:1");
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(decoded_header(got->header)["password"], "pw");
    EXPECT_NE(got->source.find("docker-credential-it"), std::string::npos) << got->source;
    EXPECT_EQ(got->source.find("pw"), std::string::npos);
    std::ifstream asked(m_dir.path / "asked");
    std::string line;
    std::getline(asked, line);
    EXPECT_EQ(line, "get r.example:5001");
}

TEST_F(HelperTest, FailuresNameTheRegistryAndTheHelper) {
    helper("none", "echo 'credentials not found in native keychain'; exit 1");
    helper("broken", "echo 'token expired for pw=hunter2' >&2; exit 3");
    helper("hangs", "exec sleep 30");
    helper("garbage", "echo 'Secret: hunter2'");
    struct Case {
        const char* helper;
        const char* expected;
    };
    for (const Case c : {Case{"none", "has no credentials for it"},
                         Case{"broken", "failed (exited with 3: token expired"},
                         Case{"hangs", "did not answer within 1s"},
                         Case{"garbage", "not the credential helper protocol"}}) {
        const auto began = std::chrono::steady_clock::now();
        auto got = ask(std::string(R"({"credHelpers":{"r.example:5001":")") + c.helper + "\"}}",
                       "r.example:5001/app:1");
        ASSERT_FALSE(got.ok()) << c.helper;
        EXPECT_EQ(got.error().code, EACCES) << c.helper;
        const auto& message = got.error().message;
        EXPECT_NE(message.find("registry r.example:5001: credential helper docker-credential-" +
                               std::string(c.helper) + " (credHelpers in "),
                  std::string::npos)
            << message;
        EXPECT_NE(message.find(c.expected), std::string::npos) << message;
        EXPECT_EQ(message.find("Secret: hunter2"), std::string::npos) << message;
        EXPECT_LT(std::chrono::steady_clock::now() - began, 5s) << c.helper;
    }
}

TEST_F(HelperTest, ADefaultStoreWithoutAnEntryFallsBackLikeTheCli) {
    helper("store", "echo 'credentials not found in native keychain'; exit 1");
    auto anonymous = ask(R"({"credsStore":"store"})", "docker.io/library/redis:7");
    ASSERT_TRUE(anonymous.ok()) << anonymous.error().message;
    EXPECT_EQ(anonymous->header, "");
    auto stored = ask(R"({"credsStore":"store","auths":{"r.io":{"auth":"dTpw"}}})", "r.io/a:1");
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(decoded_header(stored->header)["password"], "p");
}

TEST(DockerAuth, AMissingFileMeansAnonymous) {
    DockerConfigAuth auth("/nonexistent/stagehand/config.json", std::make_shared<ScriptedRunner>());
    const Cancel cancel;
    auto got = auth.credential_for("127.0.0.1:5000/x:1", std::chrono::steady_clock::now(), cancel);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->header, "");
    EXPECT_EQ(got->source, "");
}
}  // namespace
}  // namespace stagehand::os
