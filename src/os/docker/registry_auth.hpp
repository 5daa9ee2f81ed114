#pragma once
// Registry credentials for pulls through the Engine API. The docker CLI reads them from its
// config file and sends them in the X-Registry-Auth header; talking to the API directly, we
// must do the same or pulls from a private registry (ECR, a self-hosted one) fail with
// "no basic auth credentials". Secrets never leave this module except in that header.

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

}  // namespace stagehand::os
