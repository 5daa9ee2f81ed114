#include "core/stage/prune.hpp"

#include <algorithm>

namespace stagehand::core {
namespace {

bool contains(const std::vector<std::string>& items, std::string_view item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

std::vector<std::string> normalised(const std::vector<std::string>& refs) {
    std::vector<std::string> out;
    for (const auto& ref : refs) {
        out.push_back(ref.rfind("sha256:", 0) == 0 ? ref : normalise_image_ref(ref));
    }
    return out;
}

// The local id of `ref`, or "" when it is not present.
std::string local_id(const PruneFacts& facts, std::string_view ref) {
    for (const auto& [local_ref, id] : facts.local) {
        if (normalise_image_ref(local_ref) == ref) {
            return id;
        }
    }
    return {};
}

}  // namespace

std::string normalise_image_ref(std::string_view ref) {
    std::string out(ref);
    for (const std::string_view prefix :
         {"docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"}) {
        if (out.rfind(prefix, 0) == 0) {
            out.erase(0, prefix.size());
            break;
        }
    }
    if (out.find('@') != std::string::npos) {
        return out;
    }
    // A ':' after the last '/' is a tag; one before it belongs to a registry port.
    const auto slash = out.rfind('/');
    const auto colon = out.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
        out += ":latest";
    }
    return out;
}

std::vector<PruneDecision> decide_prune(const PruneFacts& facts) {
    const auto keep = normalised(facts.keep);
    const auto in_use = normalised(facts.in_use);
    std::vector<std::string> keep_ids;
    for (const auto& ref : keep) {
        if (auto id = local_id(facts, ref); !id.empty()) {
            keep_ids.push_back(id);
        }
    }
    std::vector<PruneDecision> out;
    std::vector<std::string> seen;
    for (const auto& raw : facts.candidates) {
        const std::string ref = normalise_image_ref(raw);
        if (contains(seen, ref)) {
            continue;
        }
        seen.push_back(ref);
        const std::string id = local_id(facts, ref);
        PruneDecision d{ref, false, ""};
        if (contains(keep, ref)) {
            d.reason = "named by this or the last good deployment";
        } else if (id.empty()) {
            d.reason = "not present";
        } else if (contains(in_use, ref) || contains(in_use, id)) {
            d.reason = "used by a container";
        } else if (contains(facts.keep_ids, id)) {
            d.reason = "run by one of the last good deployments (pull.keep)";
        } else {
            d.remove = true;
            d.reason = contains(keep_ids, id) ? "unused tag (its image stays: a kept tag shares it)"
                                              : "unused";
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace stagehand::core
