#include "os/docker/registry_auth.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "os/fs/users.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

using nlohmann::json;

constexpr std::string_view k_hub = "docker.io";
constexpr std::size_t k_config_limit = 1 << 20;
constexpr std::size_t k_message_max = 200;
// docker-credential-helpers' credentials.errCredentialsNotFoundMessage.
constexpr std::string_view k_not_found = "credentials not found in native keychain";

// An "auths" key as `docker login` writes it ("https://index.docker.io/v1/",
// "127.0.0.1:5000", "https://123.dkr.ecr.us-east-1.amazonaws.com") -> its host.
std::string key_host(std::string_view key) {
    for (const std::string_view scheme : {"https://", "http://"}) {
        if (key.starts_with(scheme)) {
            key.remove_prefix(scheme.size());
        }
    }
    key = key.substr(0, key.find('/'));
    if (key == "index.docker.io" || key == "registry-1.docker.io") {
        return std::string(k_hub);
    }
    return std::string(key);
}

std::string json_string(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The "auths" entry for `host` as an X-Registry-Auth value; "" when there is none.
util::Result<std::string> auths_header(const json& config, std::string_view host) {
    const auto auths = config.find("auths");
    if (auths == config.end() || !auths->is_object()) {
        return std::string();
    }
    for (const auto& [key, entry] : auths->items()) {
        if (!entry.is_object() || key_host(key) != host) {
            continue;
        }
        json header;
        if (const std::string token = json_string(entry, "identitytoken"); !token.empty()) {
            header["identitytoken"] = token;
        } else if (const std::string auth = json_string(entry, "auth"); !auth.empty()) {
            const auto decoded = base64_decode(auth);
            const auto colon = decoded ? decoded->find(':') : std::string::npos;
            if (colon == std::string::npos) {
                return util::Error{"the \"auth\" of " + key + " is not base64 of user:password"};
            }
            header["username"] = decoded->substr(0, colon);
            header["password"] = decoded->substr(colon + 1);
        } else {
            continue;  // an empty entry: the credentials live in a credential helper
        }
        header["serveraddress"] = key;
        return base64_encode(header.dump(), /*url_safe=*/true);
    }
    return std::string();
}

// The last line a failed helper wrote (the protocol puts its error on stdout; some helpers
// use stderr), printable ASCII only and cut: it goes into the verdict.
std::string helper_message(const ProcessOutcome& outcome) {
    std::string_view text = outcome.out.find_first_not_of(" \t\r\n") != std::string::npos
                                ? std::string_view(outcome.out)
                                : std::string_view(outcome.err);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    if (const auto newline = text.rfind('\n'); newline != std::string_view::npos) {
        text.remove_prefix(newline + 1);
    }
    std::string out;
    for (const char c : text.substr(0, k_message_max)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return out;
}

}  // namespace

std::string docker_config_path(const char* docker_config_env, const std::string& home) {
    if (docker_config_env != nullptr && *docker_config_env != '\0') {
        return std::string(docker_config_env) + "/config.json";
    }
    return (home.empty() || home == "/" ? std::string() : home) + "/.docker/config.json";
}

std::string own_docker_config_path() {
    auto passwd = read_text_file("/etc/passwd");
    const std::string home =
        user_home(passwd ? *passwd : std::string(), ::geteuid(), std::getenv("HOME"));
    return docker_config_path(std::getenv("DOCKER_CONFIG"), home);
}

std::string user_home(std::string_view passwd_text, uid_t uid, const char* home_env) {
    for (const auto& entry : parse_passwd(passwd_text)) {
        if (entry.uid == uid && !entry.home.empty()) {
            return entry.home;
        }
    }
    if (home_env != nullptr && *home_env != '\0') {
        return home_env;
    }
    return uid == 0 ? "/root" : "/";
}

std::string registry_host(std::string_view image) {
    const auto slash = image.find('/');
    if (slash == std::string_view::npos) {
        return std::string(k_hub);
    }
    const std::string_view first = image.substr(0, slash);
    // Docker's rule: the first component is a registry when it has a '.' or a ':' or is
    // "localhost"; otherwise the image lives on Docker Hub.
    if (first.find_first_of(".:") == std::string_view::npos && first != "localhost") {
        return std::string(k_hub);
    }
    return key_host(first);
}

util::Result<CredentialSource> credential_source(std::string_view config_json,
                                                 std::string_view host) {
    const json config = json::parse(config_json.begin(), config_json.end(), nullptr, false);
    if (!config.is_object()) {
        return util::Error{"not a JSON object"};
    }
    CredentialSource source;
    if (const auto helpers = config.find("credHelpers");
        helpers != config.end() && helpers->is_object()) {
        for (const auto& [key, helper] : helpers->items()) {
            if (key_host(key) == host && helper.is_string() && !helper.get<std::string>().empty()) {
                source.helper = helper.get<std::string>();
                source.helper_key = "credHelpers";
            }
        }
    }
    if (source.helper.empty()) {
        source.helper = json_string(config, "credsStore");
        source.helper_key = source.helper.empty() ? "" : "credsStore";
    }
    auto header = auths_header(config, host);
    if (!header) {
        return header.error();
    }
    source.header = std::move(header).value();
    return source;
}

util::Result<std::string> auth_header_from_config(std::string_view config_json,
                                                  std::string_view host) {
    auto source = credential_source(config_json, host);
    if (!source) {
        return source.error();
    }
    return source->header;
}

std::string helper_server_url(std::string_view host) {
    // The CLI stores Docker Hub credentials under its v1 index address (registry.IndexServer).
    return host == k_hub ? std::string("https://index.docker.io/v1/") : std::string(host);
}

util::Result<std::string> header_from_helper_output(std::string_view output,
                                                    std::string_view server_url) {
    const json answer = json::parse(output.begin(), output.end(), nullptr, false);
    if (!answer.is_object() || !answer.contains("Secret") || !answer["Secret"].is_string()) {
        return util::Error{"its answer is not the credential helper protocol's JSON"};
    }
    json header;
    const std::string user = json_string(answer, "Username");
    // docker-credential-helpers: a Username of "<token>" marks an identity token.
    if (user == "<token>") {
        header["identitytoken"] = answer["Secret"];
    } else {
        header["username"] = user;
        header["password"] = answer["Secret"];
    }
    header["serveraddress"] = std::string(server_url);
    return base64_encode(header.dump(), /*url_safe=*/true);
}

util::Result<RegistryCredential> DockerConfigAuth::credential_for(std::string_view image,
                                                                  MonoTime deadline,
                                                                  const Cancel& cancel) {
    const std::string host = registry_host(image);
    auto text = read_text_file(m_path, k_config_limit);
    if (!text) {
        if (text.error().code == ENOENT || text.error().code == ENOTDIR) {
            return RegistryCredential{};  // no `docker login` on this host: anonymous pulls
        }
        return util::Error{"registry " + host + ": cannot read the registry credentials in " +
                               m_path + ": " + text.error().message,
                           EACCES};
    }
    auto source = credential_source(*text, host);
    if (!source) {
        return util::Error{"registry " + host + ": cannot use the registry credentials in " +
                               m_path + ": " + source.error().message,
                           EACCES};
    }
    if (!source->helper.empty()) {
        return ask_helper(*source, host, deadline, cancel);
    }
    if (source->header.empty()) {
        return RegistryCredential{};
    }
    return RegistryCredential{source->header, "auths in " + m_path};
}

util::Result<RegistryCredential> DockerConfigAuth::ask_helper(const CredentialSource& source,
                                                              const std::string& host,
                                                              MonoTime deadline,
                                                              const Cancel& cancel) {
    const std::string program = "docker-credential-" + source.helper;
    const std::string named =
        "credential helper " + program + " (" + source.helper_key + " in " + m_path + ")";
    const auto fail = [&](const std::string& why) {
        return util::Error{"registry " + host + ": " + named + " " + why, EACCES};
    };
    if (find_executable(program).empty()) {
        return fail("is not installed (searched PATH, /usr/bin, /usr/local/bin)");
    }
    ProcessSpec spec;
    spec.argv = {program, "get"};
    spec.input = helper_server_url(host) + "\n";
    spec.max_output = 64 * 1024;
    const MonoTime until = std::min(deadline, std::chrono::steady_clock::now() + m_helper_timeout);
    auto ran = m_runner->run(spec, until, cancel);
    if (!ran) {
        return fail("could not be started: " + ran.error().message);
    }
    if (ran->cancelled) {
        return util::Error{"registry " + host + ": " + named + " was cancelled", ECANCELED};
    }
    if (ran->timed_out) {
        const auto waited = std::chrono::duration_cast<std::chrono::seconds>(m_helper_timeout);
        return fail("did not answer within " + std::to_string(waited.count()) + "s");
    }
    if (!ran->success()) {
        const std::string said = helper_message(*ran);
        if (said.find(k_not_found) != std::string::npos && source.helper_key == "credsStore") {
            // The CLI's fallback for a default store without an entry for this registry.
            return source.header.empty() ? RegistryCredential{}
                                         : RegistryCredential{source.header, "auths in " + m_path};
        }
        const bool none = said.find(k_not_found) != std::string::npos;
        return fail(std::string(none ? "has no credentials for it" : "failed") + " (" +
                    ran->describe() + (said.empty() ? "" : ": " + said) + ")");
    }
    auto header = header_from_helper_output(ran->out, helper_server_url(host));
    if (!header) {
        return fail(header.error().message);
    }
    return RegistryCredential{std::move(header).value(), named};
}

std::string base64_encode(std::string_view data, bool url_safe) {
    const char* alphabet = url_safe
                               ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                               : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < data.size(); i += 3) {
        const std::size_t n = std::min<std::size_t>(3, data.size() - i);
        std::uint32_t chunk = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            chunk = (chunk << 8) | (j < n ? static_cast<unsigned char>(data[i + j]) : 0u);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? alphabet[(chunk >> (18 - 6 * j)) & 0x3F] : '=';
        }
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '+' || c == '-') {
            v = 62;
        } else if (c == '/' || c == '_') {
            v = 63;
        } else if (c == '=' || c == '\n' || c == '\r') {
            continue;
        } else {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xFF);
        }
    }
    return out;
}

}  // namespace stagehand::os
