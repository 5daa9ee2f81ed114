#pragma once
// Which images prune_images may remove (SPEC section 6): only this project's images, only
// those no container uses, and never one that this or the last good deployment names.
// Pure: the step gathers the facts from Docker and the manifest, this decides.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stagehand::core {

struct PruneFacts {
    // This project's images: the manifest's history plus what its containers run.
    std::vector<std::string> candidates;
    // Named by this deployment's compose file and by the last good deployment.
    std::vector<std::string> keep;
    // Image ids (sha256:...) the last pull.keep good deployments ran: a rollback finds them
    // locally (SPEC section 9), so no tag of them is removed.
    std::vector<std::string> keep_ids;
    // Image references and ids (sha256:...) of the project's containers, any state.
    std::vector<std::string> in_use;
    // Local images: (reference, id) as Docker lists them.
    std::vector<std::pair<std::string, std::string>> local;
};

struct PruneDecision {
    std::string image;  // reference, normalised
    bool remove = false;
    std::string reason;  // why kept ("named by this deployment", "used by a container", ...)
};

// "nginx" -> "nginx:latest"; "docker.io/library/nginx:1" -> "nginx:1";
// "docker.io/me/app" -> "me/app:latest". Digests and registries with ports are kept.
std::string normalise_image_ref(std::string_view ref);

// One decision per distinct candidate, in candidate order.
std::vector<PruneDecision> decide_prune(const PruneFacts& facts);

}  // namespace stagehand::core
