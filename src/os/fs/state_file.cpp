#include "os/fs/state_file.hpp"

#include <cerrno>

namespace stagehand::os {

util::Result<std::optional<std::string>> read_state_text(FileSystem& fs, const std::string& path) {
    auto text = fs.read_file(path);
    if (!text) {
        if (text.error().code == ENOENT) {
            return std::optional<std::string>();
        }
        return text.error();
    }
    return std::optional<std::string>(std::move(text).value());
}

util::Status set_aside_damaged(FileSystem& fs, util::Log& log, const std::string& path,
                               const std::string& why, OnDamage on_damage) {
    const std::string aside = path + std::string(k_damaged_suffix);
    if (on_damage == OnDamage::leave_in_place) {
        log.warn("", path + " is damaged (" + why + "); left as it is (dry run), a real run " +
                         "moves it aside to " + aside + " and starts afresh");
        return {};
    }
    if (auto st = fs.rename(path, aside); !st) {
        return util::Error{
            path + " is damaged (" + why + ") and could not be moved aside: " + st.error().message,
            st.error().code};
    }
    log.warn("", path + " is damaged (" + why + "); moved aside to " + aside + ", starting afresh");
    return {};
}

util::Result<nlohmann::json> parse_json_object(std::string_view text) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return util::Error{"empty (truncated)", EINVAL};
    }
    try {
        auto json = nlohmann::json::parse(text);
        if (!json.is_object()) {
            return util::Error{std::string("a JSON ") + json.type_name() + ", not an object",
                               EINVAL};
        }
        return json;
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() quotes the bytes it stopped at: binary junk has no place in a warning.
        return util::Error{"not valid JSON (byte " + std::to_string(e.byte) + ")", EINVAL};
    }
}

}  // namespace stagehand::os
