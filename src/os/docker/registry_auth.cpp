#include "os/docker/registry_auth.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace stagehand::os {

namespace {

using nlohmann::json;

constexpr std::string_view k_hub = "docker.io";

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

}  // namespace

std::string docker_config_path(const char* docker_config_env, const char* home_env) {
    if (docker_config_env != nullptr && *docker_config_env != '\0') {
        return std::string(docker_config_env) + "/config.json";
    }
    const std::string home = home_env != nullptr && *home_env != '\0' ? home_env : "/root";
    return home + "/.docker/config.json";
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

util::Result<std::string> auth_header_from_config(std::string_view config_json,
                                                  std::string_view host) {
    const json config = json::parse(config_json.begin(), config_json.end(), nullptr, false);
    if (!config.is_object()) {
        return util::Error{"not a JSON object"};
    }
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

util::Result<std::string> DockerConfigAuth::header_for(std::string_view image, MonoTime,
                                                       const Cancel&) {
    std::ifstream in(m_path, std::ios::binary);
    if (!in) {
        return std::string();  // no `docker login` on this host: anonymous pulls
    }
    std::stringstream text;
    text << in.rdbuf();
    auto header = auth_header_from_config(text.str(), registry_host(image));
    if (!header) {
        return util::Error{
            "cannot use the registry credentials in " + m_path + ": " + header.error().message,
            EINVAL};
    }
    return header;
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
