#pragma once
// Parsers of the Docker Engine API's JSON (captured samples: tests/fixtures/docker/). Each
// takes the raw text and never throws: a missing field or a field of the wrong type reads as
// its default, and only a document that is not JSON at all (or lacks the object's identity)
// is an error. Field names are those of API 1.41 (Docker 20.10), unchanged through 1.47.

#include <algorithm>
#include <compare>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "os/docker/docker.hpp"
#include "util/result.hpp"

namespace stagehand::os {

// GET /containers/{id}/json, abridged:
// {"Id":"8eeb..","Name":"/shfix_web_1","RestartCount":0,"Image":"sha256:a741..",
//  "State":{"Status":"running","Running":true,"Restarting":false,"OOMKilled":false,
//           "Pid":8305,"ExitCode":0,"StartedAt":"2026-11-25T16:42:45.48Z",
//           "Health":{"Status":"healthy"}},
//  "Config":{"Image":"127.0.0.1:5055/sh-test/busybox:1","Labels":{..}},
//  "HostConfig":{"NetworkMode":"shfix_default"},
//  "NetworkSettings":{"Networks":{"shfix_default":{"IPAddress":"172.17.0.3"}}}}
// Error: not a JSON object, or no "Id".
util::Result<ContainerState> parse_container_inspect(std::string_view json);

// GET /containers/json: the states the list itself reports, without an inspect per
// container: id, name, service, status ("State": running, restarting, exited, created, ...),
// running/restarting, image, host networking and address. Exit code, pid, health, restart
// count and times are left empty. Error: not a JSON array.
// [{"Id":"8eeb..","Names":["/shfix_web_1"],"Image":"127.0.0.1:5055/sh-test/busybox:1",
//   "Labels":{"com.docker.compose.service":"web"},"State":"running",
//   "HostConfig":{"NetworkMode":"host"},"NetworkSettings":{"Networks":{}}}]
util::Result<std::vector<ContainerState>> parse_container_list(std::string_view json);

// One line of GET /events:
// {"Type":"container","Action":"health_status: healthy","Actor":{"ID":"8eeb..",
//  "Attributes":{"com.docker.compose.service":"web","exitCode":"3"}},"timeNano":1795..}
// Action "health_status: healthy" becomes action "health_status" + health "healthy";
// "exec_start: /bin/sh" becomes "exec_start". nullopt: not JSON, not a container event, or
// no action/actor.
std::optional<DockerEvent> parse_event(std::string_view line);

// An error answer: {"message":"No such container: nope"} -> the message; a body that is not
// such an object is returned trimmed and cut to 500 bytes ("" stays "").
std::string parse_error_message(std::string_view body);

// GET /images/{name}/json -> "RepoDigests" (["repo@sha256:.."]). Error: not a JSON object.
util::Result<std::vector<std::string>> parse_repo_digests(std::string_view json);

// GET /images/json: [{"Id":"sha256:..","RepoTags":["a:1"],"RepoDigests":[..]}, ...] ->
// (reference, id) pairs: one per RepoTag; an image without tags gets one per RepoDigest, or
// ("", id) without either. Error: not a JSON array.
util::Result<std::vector<std::pair<std::string, std::string>>> parse_image_list(
    std::string_view json);

// Splits a byte stream into lines across arbitrary piece boundaries. A line longer than
// `max_line` is cut there (the rest until the next '\n' is dropped).
class LineSplitter {
  public:
    explicit LineSplitter(std::size_t max_line = 1 << 20) : m_max_line(max_line) {}
    template <class OnLine>
    void feed(std::string_view data, OnLine&& on_line);
    template <class OnLine>
    void finish(OnLine&& on_line);  // a last line without '\n'

  private:
    std::string m_partial;
    std::size_t m_max_line;
    bool m_dropping = false;
};

// The progress stream of POST /images/create, one JSON object per line:
// {"status":"Pulling fs layer","progressDetail":{},"id":"7cb8080a97df"}
// {"status":"Digest: sha256:41cd.."}
// {"status":"Status: Downloaded newer image for 127.0.0.1:5055/sh-test/busybox:1"}
// {"errorDetail":{"message":"unknown blob"},"error":"unknown blob"}
class PullProgress {
  public:
    void feed(std::string_view data);
    void finish();
    // The registry's or daemon's own message, verbatim, once the stream reported a failure.
    const std::optional<std::string>& error() const { return m_error; }
    const std::string& digest() const { return m_digest; }  // "sha256:..." or ""
    // The last few distinct status lines (layer progress left out), '\n'-separated.
    std::string summary() const;

  private:
    void on_line(std::string_view line);

    LineSplitter m_lines;
    std::optional<std::string> m_error;
    std::string m_digest;
    std::deque<std::string> m_status;
};

// Container output from GET /containers/{id}/logs. Without a TTY Docker frames it as
// [stream(1) 0 0 0 size(4, big endian)] payload; with a TTY it is raw. API 1.41 sends no
// Content-Type that tells them apart, so the framing is recognised: the whole body must be a
// sequence of well-formed frames (stream 0-2, three zero bytes, sizes that add up exactly).
std::string demultiplex_logs(std::string_view raw);

struct UnixTime {
    long long seconds = 0;
    long nanos = 0;
    auto operator<=>(const UnixTime&) const = default;
};

// RFC 3339 as Docker prints it ("2026-11-25T16:42:45.484559288Z", or with a +hh:mm offset).
// nullopt when it does not parse.
std::optional<UnixTime> parse_rfc3339(std::string_view text);

// Lines of container output: split at '\n', a trailing '\r' (TTY output) removed, no empty
// last line.
std::vector<std::string> split_log_lines(std::string_view text);

// ---- implementation of the template members ----

template <class OnLine>
void LineSplitter::feed(std::string_view data, OnLine&& on_line) {
    while (!data.empty()) {
        const std::size_t nl = data.find('\n');
        const std::string_view piece = data.substr(0, nl);
        if (!m_dropping) {
            m_partial.append(piece.substr(0, m_max_line - std::min(m_max_line, m_partial.size())));
            m_dropping = m_partial.size() >= m_max_line && nl == std::string_view::npos;
        }
        if (nl == std::string_view::npos) {
            return;
        }
        on_line(std::string_view(m_partial));
        m_partial.clear();
        m_dropping = false;
        data.remove_prefix(nl + 1);
    }
}

template <class OnLine>
void LineSplitter::finish(OnLine&& on_line) {
    if (!m_partial.empty()) {
        on_line(std::string_view(m_partial));
    }
    m_partial.clear();
    m_dropping = false;
}

}  // namespace stagehand::os
