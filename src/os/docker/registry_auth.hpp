#pragma once
// Registry credentials for pulls through the Engine API (SPEC section 10). The docker CLI
// finds them in its config file -- stored by `docker login` ("auths") or served by a
// credential helper ("credsStore", "credHelpers": docker-credential-<name>) -- and sends them
// in the X-Registry-Auth header; talking to the API directly, we must do the same or pulls
// from a private registry (ECR through amazon-ecr-credential-helper, above all) fail. Secrets
// never leave this module except in that header: no message or log holds one.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "os/process/process.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// The credentials for one pull. `source` says where they came from, for error messages:
// "auths in /root/.docker/config.json", "credential helper docker-credential-ecr-login
// (credHelpers in ...)"; "" when anonymous.
struct RegistryCredential {
    std::string header;  // the X-Registry-Auth value; "" for an anonymous pull
    std::string source;
};

class RegistryAuth {
  public:
    virtual ~RegistryAuth() = default;
    // The credentials for pulling `image`. Errors (code EACCES: retrying cannot help) name
    // the registry, the config file and the helper, never a secret.
    virtual util::Result<RegistryCredential> credential_for(std::string_view image,
                                                            MonoTime deadline,
                                                            const Cancel& cancel) = 0;
};

// The docker CLI's config file: $DOCKER_CONFIG/config.json, else <home>/.docker/config.json.
std::string docker_config_path(const char* docker_config_env, const std::string& home);

// docker_config_path for this process: $DOCKER_CONFIG, else the effective user's home
// (user_home from /etc/passwd, then $HOME).
std::string own_docker_config_path();

// The home folder of `uid` from /etc/passwd's text (the agent often runs hooks without HOME,
// and a static binary cannot use getpwuid's NSS); else `home_env`; else "/root" for root,
// "/" for anyone else.
std::string user_home(std::string_view passwd_text, uid_t uid, const char* home_env);

// What config.json says about one registry host, in the docker CLI's order:
// credHelpers[host], else credsStore, else the "auths" entry.
struct CredentialSource {
    std::string helper;      // "ecr-login": ask docker-credential-ecr-login; "" for none
    std::string helper_key;  // "credHelpers" or "credsStore"
    std::string header;      // the "auths" entry as an X-Registry-Auth value; "" when none
};
// Sample: {"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"},
//                    "r.example:5000": {"identitytoken": "..."}},
//          "credsStore": "desktop", "credHelpers": {"1234.dkr.ecr.us-east-1.amazonaws.com":
//          "ecr-login"}}
// Error: not a JSON object, or an "auth" that is not base64 of "user:password".
util::Result<CredentialSource> credential_source(std::string_view config_json,
                                                 std::string_view host);

// The X-Registry-Auth value of the "auths" entry for `host`; "" when there is none.
util::Result<std::string> auth_header_from_config(std::string_view config_json,
                                                  std::string_view host);

// What a credential helper is asked for on its stdin: Docker Hub as the CLI names it
// ("https://index.docker.io/v1/"), any other registry by its host.
std::string helper_server_url(std::string_view host);

// A helper's answer to `get` ({"ServerURL": .., "Username": .., "Secret": ..}; Username
// "<token>" means Secret is an identity token) -> the X-Registry-Auth value.
// Error (no secret in it): not that JSON.
util::Result<std::string> header_from_helper_output(std::string_view output,
                                                    std::string_view server_url);

// credential_for() from the docker CLI's config file, read at every pull so a credential
// refreshed meanwhile (a cron `docker login`) is used. A missing file means anonymous pulls.
// A helper runs through `runner` (argv docker-credential-<name> get, the server URL on
// stdin, stderr captured) for at most `helper_timeout`. When a helper has no credentials
// ("credentials not found"): an error for a credHelpers entry (the operator named a helper for
// this registry, and an anonymous pull would only fail less clearly -- for ECR, after network
// traffic), the "auths" entry or an anonymous pull for credsStore (the CLI's fallback, so
// public images still pull on a host with a default store).
class DockerConfigAuth final : public RegistryAuth {
  public:
    static constexpr std::chrono::seconds k_helper_timeout{10};

    DockerConfigAuth(std::string config_path, std::shared_ptr<ProcessRunner> runner,
                     std::chrono::milliseconds helper_timeout = k_helper_timeout)
        : m_path(std::move(config_path)),
          m_runner(std::move(runner)),
          m_helper_timeout(helper_timeout) {}
    util::Result<RegistryCredential> credential_for(std::string_view image, MonoTime deadline,
                                                    const Cancel& cancel) override;

  private:
    util::Result<RegistryCredential> ask_helper(const CredentialSource& source,
                                                const std::string& host, MonoTime deadline,
                                                const Cancel& cancel);

    std::string m_path;
    std::shared_ptr<ProcessRunner> m_runner;
    std::chrono::milliseconds m_helper_timeout;
};

// The registry host of an image reference: "127.0.0.1:5000/a/b:1" -> "127.0.0.1:5000",
// "redis" and "library/redis" -> "docker.io".
std::string registry_host(std::string_view image);

std::string base64_encode(std::string_view data, bool url_safe);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace stagehand::os
