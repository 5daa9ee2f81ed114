#pragma once
// Registry credentials for pulls through the Engine API. The docker CLI reads them from its
// config file and sends them in the X-Registry-Auth header; talking to the API directly, we
// must do the same or pulls from a private registry fail with "no basic auth credentials".
// Secrets never leave this module except in that header (never in a message or a log).

#include <optional>
#include <string>
#include <string_view>

#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

class RegistryAuth {
  public:
    virtual ~RegistryAuth() = default;
    // The X-Registry-Auth value (base64url of {"username","password","serveraddress"}) for
    // pulling `image`, or "" to pull anonymously. Errors name the config file or helper.
    virtual util::Result<std::string> header_for(std::string_view image, MonoTime deadline,
                                                 const Cancel& cancel) = 0;
};

// The docker CLI's config file: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json,
// else /root/.docker/config.json (hooks run as root, and the agent may not set HOME).
std::string docker_config_path(const char* docker_config_env, const char* home_env);

// Credentials stored in the config file by `docker login` ("auths" entries with "auth" or
// "identitytoken"). The file is read at every pull, so a credential refreshed meanwhile
// (`aws ecr get-login-password | docker login ...` from cron) is used. A missing file means
// anonymous pulls. Credential helpers (credsStore / credHelpers, e.g. ecr-login) are not run
// (they read the registry from stdin, which ProcessRunner does not offer): a registry served
// only by a helper is pulled anonymously and the registry's refusal is the error.
class DockerConfigAuth final : public RegistryAuth {
  public:
    explicit DockerConfigAuth(std::string config_path) : m_path(std::move(config_path)) {}
    util::Result<std::string> header_for(std::string_view image, MonoTime deadline,
                                         const Cancel& cancel) override;

  private:
    std::string m_path;
};

// The registry host of an image reference: "127.0.0.1:5000/a/b:1" -> "127.0.0.1:5000",
// "redis" and "library/redis" -> "docker.io".
std::string registry_host(std::string_view image);

// The X-Registry-Auth value for `host` from a config.json text; "" when it holds none.
// Error: not JSON, or an "auth" that is not base64 of "user:password".
util::Result<std::string> auth_header_from_config(std::string_view config_json,
                                                  std::string_view host);

std::string base64_encode(std::string_view data, bool url_safe);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace stagehand::os
