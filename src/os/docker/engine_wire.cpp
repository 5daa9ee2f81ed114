#include "os/docker/engine_wire.hpp"

namespace stagehand::os {

// Content-Length: 0 on a body-less POST or PUT, as Beast's prepare_payload() sets it (Docker,
// Go's net/http, accepts the request either way).
std::string engine_request_text(const EngineRequest& request) {
    std::string text = request.method + " " + request.target + " HTTP/1.1\r\n";
    text += "Host: docker\r\n";  // Docker ignores it, HTTP/1.1 requires it
    text += "User-Agent: stagehand\r\n";
    for (const auto& [name, value] : request.headers) {
        text += name + ": " + value + "\r\n";
    }
    text += "Connection: close\r\n";
    if (request.method == "POST" || request.method == "PUT") {
        text += "Content-Length: 0\r\n";
    }
    return text + "\r\n";
}

namespace {

std::string encode(std::string_view value, std::string_view keep) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                           (u >= '0' && u <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                           keep.find(c) != std::string_view::npos;
        if (plain) {
            out += c;
        } else {
            out += '%';
            out += k_hex[u >> 4];
            out += k_hex[u & 0xF];
        }
    }
    return out;
}

}  // namespace

std::string url_encode(std::string_view value) {
    return encode(value, "");
}

std::string url_encode_path(std::string_view value) {
    return encode(value, "/:@");
}

}  // namespace stagehand::os
