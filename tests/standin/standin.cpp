// standin: plays one service of the reference workload (see standin.hpp). main wires the
// flags to the start work (memory ramp + CPU burn), the ready report and the HTTP server.
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "standin.hpp"

namespace stagehand::standin {
namespace {

constexpr std::size_t k_mib = 1024 * 1024;
constexpr int k_exit_crash = 3;
constexpr int k_exit_flap = 4;
constexpr double k_burn_slice_s = 0.01;  // CPU burned between checks for signals and memory

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process: under a CPU quota it grows slower than wall time, which is
// exactly how a JVM start stretches on a throttled t2.micro.
double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void burn_cpu_until(double target_cpu_s) {
    volatile std::uint64_t sink = 1;
    while (cpu_seconds() < target_cpu_s) {
        for (int i = 0; i < 20000; ++i) {
            sink = sink * 6364136223846793005ULL + 1442695040888963407ULL;
        }
    }
}

// One anonymous mapping, touched page by page so the memory is really resident, and shrunk
// with munmap so it is really returned to the kernel (and the cgroup).
class Memory {
  public:
    explicit Memory(std::size_t bytes) : m_size(bytes) {
        if (m_size > 0) {
            void* p = ::mmap(nullptr, m_size, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            m_base = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
        }
    }
    ~Memory() {
        if (m_base != nullptr) {
            ::munmap(m_base, m_size);
        }
    }
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;

    bool ok() const { return m_size == 0 || m_base != nullptr; }
    std::size_t touched() const { return m_touched; }

    void touch_up_to(std::size_t bytes) {
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        bytes = std::min(bytes, m_size);
        for (; m_touched < bytes; m_touched += page) {
            m_base[m_touched] = static_cast<char>(m_touched / page | 1);
        }
    }

    // Unmaps everything past `bytes` (rounded up to a page).
    void shrink_to(std::size_t bytes) {
        const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
        bytes = (bytes + page - 1) / page * page;
        if (m_base == nullptr || bytes >= m_size) {
            return;
        }
        ::munmap(m_base + bytes, m_size - bytes);
        m_size = bytes;
        m_touched = std::min(m_touched, bytes);
    }

  private:
    char* m_base = nullptr;
    std::size_t m_size = 0;
    std::size_t m_touched = 0;
};

// SIGTERM/SIGINT are blocked and read from a signalfd in the wait loops: as PID 1 in a
// container a default disposition would ignore SIGTERM, and no handler logic is needed.
int make_signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    return ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

constexpr int k_work_done = 0;
constexpr int k_work_crashed = -1;

// The start: memory grows linearly to the peak over ramp_s of wall time while cpu_s of CPU is
// burned; it returns when both are done (k_work_done), on a signal (its number), or in crash
// mode once crash_after_s has passed (k_work_crashed).
int start_work(const Options& o, Memory& memory, int signal_fd, Clock::time_point start) {
    const auto peak = static_cast<std::size_t>(o.peak_mib) * k_mib;
    const double cpu_at_start = cpu_seconds();
    for (;;) {
        const double t = seconds_since(start);
        const double share = o.ramp_s <= 0 ? 1.0 : std::min(1.0, t / o.ramp_s);
        memory.touch_up_to(static_cast<std::size_t>(share * static_cast<double>(peak)));
        if (o.mode == Mode::crash && t >= o.crash_after_s) {
            return k_work_crashed;
        }
        const double cpu_used = cpu_seconds() - cpu_at_start;
        if (memory.touched() >= peak && cpu_used >= o.cpu_s) {
            return k_work_done;
        }
        if (int sig = wait_signal(signal_fd, cpu_used < o.cpu_s ? 0 : k_burn_slice_s)) {
            return sig;
        }
        if (cpu_used < o.cpu_s) {
            burn_cpu_until(cpu_at_start + std::min(o.cpu_s, cpu_used + k_burn_slice_s));
        }
    }
}

// Kafka exits when ZooKeeper stays unreachable (~18 s, scaled 1.8 s): retry until then.
bool wait_required(const Options& o, int signal_fd) {
    const auto start = Clock::now();
    while (!tcp_connects(o.require, 0.2)) {
        if (seconds_since(start) >= o.require_timeout_s || wait_signal(signal_fd, 0.1) != 0) {
            return false;
        }
    }
    return true;
}

void say(const char* fmt, const std::string& name, double value = 0) {
    std::printf(fmt, name.c_str(), value);
    std::fflush(stdout);
}

// VmHWM of /proc/self/status in bytes ("VmHWM:\t  125000 kB"), 0 where /proc is missing.
unsigned long long rss_high_water_mark() {
    std::ifstream status("/proc/self/status");
    std::string key;
    for (unsigned long long kib = 0; status >> key;) {
        if (key == "VmHWM:" && status >> kib) {
            return kib * 1024;
        }
    }
    return 0;
}

// At the peak: the bytes this process allocated and touched, what a cgroup's high-water mark
// must at least show for it (the integration tests assert a learned need against it). VmHWM
// adds the binary's own pages, which the page cache may charge to another container.
void report_peak(const Options& o, const Memory& memory) {
    const auto bytes = static_cast<unsigned long long>(memory.touched());
    std::printf("%s peak %llu bytes (VmHWM %llu bytes)\n", o.name.c_str(), bytes,
                rss_high_water_mark());
    std::fflush(stdout);
    if (!o.peak_file.empty()) {
        std::ofstream(o.peak_file) << bytes << "\n";
    }
}

// After ready: serve (or just wait) until a signal; in flap mode until flap_after_s.
// `listener` is the socket opened early, or -1.
int run_ready(const Options& o, int signal_fd, int listener) {
    const bool flap = o.mode == Mode::flap;
    if (flap) {
        std::ofstream(o.flap_marker) << "flapped\n";
    }
    const double stop_after = flap ? o.flap_after_s : -1;
    const int status = o.mode == Mode::http500 ? 500 : 200;
    int r = listener >= 0 ? serve_http_on(listener, status, signal_fd, stop_after)
            : o.port > 0 && o.listen == Listen::late
                ? serve_http(o.port, status, signal_fd, stop_after)
                : wait_signal(signal_fd, stop_after);
    if (r > 0) {
        return 128 + r;
    }
    if (r < 0) {
        return 1;
    }
    say("%s flapping: exit 4 after %.1fs ready (mode flap)\n", o.name, o.flap_after_s);
    return k_exit_flap;
}

int run_service(Options o) {
    const auto start = Clock::now();
    const int signal_fd = make_signal_fd();
    if (o.mode == Mode::flap && ::access(o.flap_marker.c_str(), F_OK) == 0) {
        o.mode = Mode::normal;  // flapped once already (the marker survives a restart)
    }
    std::printf("%s starting: peak %ld MiB, steady %ld MiB, ramp %.2fs, cpu %.2fs, port %d\n",
                o.name.c_str(), o.peak_mib, *o.steady_mib, o.ramp_s, o.cpu_s, o.port);
    std::fflush(stdout);
    if (!o.require.empty() && !wait_required(o, signal_fd)) {
        std::fprintf(stderr, "%s: %s unreachable for %.1fs, exiting\n", o.name.c_str(),
                     o.require.c_str(), o.require_timeout_s);
        return 1;
    }
    int listener = -1;
    if (o.listen == Listen::early && o.port > 0) {
        if ((listener = open_listener(o.port)) < 0) {
            return 1;
        }
        say("%s listening on its port before its work is done (listen early)\n", o.name);
    }
    Memory memory(static_cast<std::size_t>(o.peak_mib) * k_mib);
    if (!memory.ok()) {
        std::fprintf(stderr, "%s: mmap of %ld MiB failed: %s\n", o.name.c_str(), o.peak_mib,
                     std::strerror(errno));
        return 1;
    }
    int r = start_work(o, memory, signal_fd, start);
    if (r > 0) {
        return 128 + r;
    }
    if (r == k_work_done) {
        report_peak(o, memory);
    }
    if (r == k_work_crashed || o.mode == Mode::crash) {
        // A crash mode whose work ended early still crashes, at crash_after_s, never ready.
        if (int sig =
                wait_signal(signal_fd, std::max(0.0, o.crash_after_s - seconds_since(start)))) {
            return 128 + sig;
        }
        std::fprintf(stderr, "%s crashed after %.1fs (mode crash)\n", o.name.c_str(),
                     seconds_since(start));
        return k_exit_crash;
    }
    if (o.mode == Mode::hang) {
        return 128 + wait_signal(signal_fd, -1);  // stuck at the peak, never ready
    }
    memory.shrink_to(static_cast<std::size_t>(*o.steady_mib) * k_mib);
    if (o.mode == Mode::exit0) {
        say("%s done in %.1fs\n", o.name, seconds_since(start));
        return 0;
    }
    say("%s ready in %.1fs\n", o.name, seconds_since(start));
    return run_ready(o, signal_fd, listener);
}

}  // namespace

int wait_signal(int signal_fd, double timeout_s) {
    pollfd pfd{signal_fd, POLLIN, 0};
    int ms = timeout_s < 0 ? -1 : static_cast<int>(std::max(0.0, timeout_s) * 1000.0);
    if (::poll(&pfd, 1, ms) != 1) {
        return 0;
    }
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) {
        return 0;
    }
    return static_cast<int>(info.ssi_signo);
}

}  // namespace stagehand::standin

int main(int argc, char** argv) {
    using namespace stagehand::standin;
    std::string error;
    auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc), error);
    if (!options) {
        std::fprintf(stderr, "standin: %s\n%s", error.c_str(), usage().c_str());
        return 2;
    }
    if (options->help) {
        std::printf("%s", usage().c_str());
        return 0;
    }
    if (!options->probe_url.empty()) {
        return probe(options->probe_url, options->probe_timeout_s);
    }
    return run_service(*options);
}
