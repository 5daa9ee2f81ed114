#pragma once
// Host name resolution without NSS (a static glibc cannot safely load the host's NSS modules,
// SPEC section 4): literals, `localhost` and /etc/hosts by us, other names through c-ares.
// Compose service names are not known here: the probe layer maps them to container
// addresses (from Docker) before asking a Resolver.

#include <string>
#include <vector>

#include "os/net/address.hpp"
#include "os/sys/cancel.hpp"
#include "os/sys/clock.hpp"
#include "util/result.hpp"

namespace stagehand::os {

class Resolver {
  public:
    virtual ~Resolver() = default;
    // Addresses of `host` (a name or an IPv4/IPv6 literal), IPv4 first. Never empty on
    // success. `deadline` is on the real steady_clock. Errors name the host:
    // "cannot resolve db.internal: Domain name not found".
    virtual util::Result<std::vector<IpAddress>> resolve(const std::string& host, MonoTime deadline,
                                                         const Cancel& cancel) = 0;
};

struct ResolverOptions {
    std::string hosts_path = "/etc/hosts";  // read at every lookup (no caching)
    // DNS servers as c-ares takes them ("10.0.0.2,127.0.0.1:5353"); empty: /etc/resolv.conf.
    std::string dns_servers;
};

// In order: IP literal; "localhost" (127.0.0.1, ::1 unless the hosts file lists it); the
// hosts file; DNS (c-ares, A and AAAA, per /etc/resolv.conf). Thread-safe: every lookup uses
// its own c-ares channel.
class HostResolver final : public Resolver {
  public:
    explicit HostResolver(ResolverOptions options = {});
    util::Result<std::vector<IpAddress>> resolve(const std::string& host, MonoTime deadline,
                                                 const Cancel& cancel) override;

  private:
    ResolverOptions m_options;
};

// DNS only (no hosts file): A and AAAA records of `name`, IPv4 first. `dns_servers` as in
// ResolverOptions. Ends by `deadline` whatever the resolv.conf timeouts say.
util::Result<std::vector<IpAddress>> dns_lookup(const std::string& name,
                                                const std::string& dns_servers, MonoTime deadline,
                                                const Cancel& cancel);

}  // namespace stagehand::os
