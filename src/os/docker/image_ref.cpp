#include "os/docker/image_ref.hpp"

namespace stagehand::os {

namespace {

// Docker shows Docker Hub images by their familiar name: docker.io/library/redis is redis.
std::string_view familiar(std::string_view repository) {
    for (const std::string_view prefix : {"docker.io/", "index.docker.io/", "library/"}) {
        if (repository.starts_with(prefix)) {
            repository.remove_prefix(prefix.size());
        }
    }
    return repository;
}

}  // namespace

ImageRef split_image_ref(std::string_view reference) {
    ImageRef ref;
    const std::size_t at = reference.find('@');
    if (at != std::string_view::npos) {
        ref.digest = std::string(reference.substr(at + 1));
        reference = reference.substr(0, at);
    }
    const std::size_t slash = reference.rfind('/');
    const std::size_t colon = reference.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        ref.tag = std::string(reference.substr(colon + 1));
        reference = reference.substr(0, colon);
    }
    ref.repository = std::string(reference);
    if (ref.tag.empty() && ref.digest.empty()) {
        ref.tag = "latest";
    }
    return ref;
}

std::string pick_repo_digest(const std::vector<std::string>& repo_digests,
                             std::string_view reference) {
    const std::string wanted = split_image_ref(reference).repository;
    std::string first;
    for (const auto& entry : repo_digests) {
        const std::size_t at = entry.find('@');
        if (at == std::string::npos) {
            continue;
        }
        const std::string digest = entry.substr(at + 1);
        if (familiar(std::string_view(entry).substr(0, at)) == familiar(wanted)) {
            return digest;
        }
        if (first.empty()) {
            first = digest;
        }
    }
    return first;
}

}  // namespace stagehand::os
