#pragma once
// The stand-in service: one process that plays one service of the reference workload
// (docs: /work/shared/spec/WORKLOAD.md). It grows its memory to a peak over a wall-clock ramp,
// burns CPU seconds meanwhile, reports the peak it reached ("NAME peak N bytes"), drops to its
// steady size, reports ready, and serves HTTP (its port opened early, late or never).
// Standard library and POSIX only, so it links fully static into a FROM scratch image.

#include <optional>
#include <string>
#include <vector>

namespace stagehand::standin {

// What the service does after (or instead of) a normal start.
enum class Mode {
    normal,   // start, become ready, serve until SIGTERM
    crash,    // exit 3 after crash_after_s, before ever becoming ready
    hang,     // do the start work, hold the peak, never become ready
    flap,     // become ready, exit 4 after flap_after_s; once per marker file, then normal
    http500,  // become ready, but answer every request with 500
    exit0,    // one-shot: do the work, print a done line, exit 0
};

// When the service opens its port (SPEC section 5, inferred readiness: a listening port is one
// of the signals, quiet CPU the other).
enum class Listen {
    early,  // at start, before the work: listening while still burning CPU (a Node app)
    late,   // only once the work is done, like a JVM whose server starts last (the default)
    never,  // not even with --port: a worker, or a declared port that never opens
};

struct Options {
    std::string name = "standin";
    long peak_mib = 16;
    std::optional<long> steady_mib;  // default: peak_mib
    double ramp_s = 0;               // wall seconds from start to the peak
    double cpu_s = 0;                // process CPU seconds burned during the start
    int port = 0;                    // 0: no HTTP server (e.g. a consumer without a port)
    Mode mode = Mode::normal;
    Listen listen = Listen::late;
    std::string peak_file;  // where to write the peak in bytes, as the "peak" line says
    double crash_after_s = 1.0;
    double flap_after_s = 3.0;
    std::string flap_marker;         // default: /tmp/standin-<name>.flapped
    std::string require;             // HOST:PORT that must accept before the start proceeds
    double require_timeout_s = 1.8;  // then exit 1 (kafka without zookeeper, scaled)
    std::string probe_url;           // client mode: --probe URL
    double probe_timeout_s = 2.0;
    bool help = false;
};

// Parses argv (without argv[0]). Accepts "--flag value" and "--flag=value".
// Returns the options, or sets `error` to a one-line message and returns nullopt.
std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error);

// Usage text for --help and errors.
std::string usage();

// Waits on the signal fd: returns the signal number received within timeout_s, or 0.
// timeout_s < 0 waits forever. Defined in standin.cpp.
int wait_signal(int signal_fd, double timeout_s);

// Opens a listening TCP socket on 0.0.0.0:port; -1 (message on stderr) on failure.
int open_listener(int port);

// serve_http on a socket open_listener already opened (and that this call now owns).
int serve_http_on(int listener_fd, int status, int signal_fd, double stop_after_s);

// Serves HTTP on 0.0.0.0:port until SIGTERM/SIGINT arrives on signal_fd or, when
// stop_after_s >= 0, that many seconds pass. GET of any path answers `status` with a small
// JSON body. Returns the signal number that ended it, 0 on the time limit, -1 on a socket error
// (message on stderr).
int serve_http(int port, int status, int signal_fd, double stop_after_s);

// Client mode: GET url (http://IPv4-or-localhost:PORT/path). Returns 0 on a 2xx answer, else 1;
// prints one short line saying what happened.
int probe(const std::string& url, double timeout_s);

// Connects to HOST:PORT (IPv4 literal or localhost) within timeout_s; true when it opened.
bool tcp_connects(const std::string& host_port, double timeout_s);

}  // namespace stagehand::standin
