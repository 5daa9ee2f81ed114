// Registry credentials from the docker CLI's config.json, sent as X-Registry-Auth.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "os/docker/registry_auth.hpp"

namespace stagehand::os {
namespace {

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

TEST(DockerAuth, ConfigPathAndMissingFile) {
    EXPECT_EQ(docker_config_path("/etc/dc", "/home/u"), "/etc/dc/config.json");
    EXPECT_EQ(docker_config_path(nullptr, "/home/u"), "/home/u/.docker/config.json");
    EXPECT_EQ(docker_config_path("", nullptr), "/root/.docker/config.json");
    DockerConfigAuth auth("/nonexistent/stagehand/config.json");
    const Cancel cancel;
    auto header = auth.header_for("127.0.0.1:5000/x:1", std::chrono::steady_clock::now(), cancel);
    ASSERT_TRUE(header.ok());
    EXPECT_EQ(*header, "");
}

}  // namespace
}  // namespace stagehand::os
