#pragma once
// Image references as compose files write them ("kafka:1", "127.0.0.1:5000/randhand/kafka:1",
// "repo@sha256:..."), split the way the Engine API's pull endpoint wants them.

#include <string>
#include <string_view>
#include <vector>

namespace stagehand::os {

struct ImageRef {
    std::string repository;  // everything before the tag or digest
    std::string tag;         // "latest" when neither tag nor digest is given
    std::string digest;      // "sha256:..." for repo@digest references, else ""
};

// "host:5000/a/b:1" -> {"host:5000/a/b", "1", ""}; "a/b" -> {"a/b", "latest", ""};
// "a@sha256:x" -> {"a", "", "sha256:x"}. A ':' before the last '/' is a registry port.
ImageRef split_image_ref(std::string_view reference);

// The repo digest ("sha256:...") of `reference` among an image's RepoDigests
// ("repo@sha256:..."): the one whose repository matches (docker.io/ and library/ prefixes
// ignored), else the first, else "".
std::string pick_repo_digest(const std::vector<std::string>& repo_digests,
                             std::string_view reference);

}  // namespace stagehand::os
