#include "os/sys/proctable.hpp"

#include <libproc2/pids.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>

// One symbol of each stub file (systemd_stubs.c, numa_stubs.c): referencing them pulls both
// objects out of our own archive before the linker reaches libproc2.a, so its numa.o (which
// would dlopen libnuma) is never linked and readproc.o finds the sd_pid_get_* it needs.
extern "C" {
void numa_init(void);
int sd_pid_get_unit(pid_t pid, char** unit);
}

namespace stagehand::os {

namespace {

[[gnu::used]] void (*const k_link_numa_stubs)() = &numa_init;
[[gnu::used]] int (*const k_link_systemd_stubs)(pid_t, char**) = &sd_pid_get_unit;

struct PidsUnref {
    void operator()(pids_info* info) const { procps_pids_unref(&info); }
};

// Positions in k_items, which PIDS_VAL addresses by index.
enum Column { column_pid = 0, column_cmd = 1, column_rss = 2 };
constexpr int k_columns = 3;

// A process name is whatever the process set (prctl, argv[0]): keep it printable and short
// before it reaches a log line.
std::string sanitise_command(const char* raw) {
    std::string out;
    for (const char* p = raw; p != nullptr && *p != '\0' && out.size() < 32; ++p) {
        out += (*p >= 0x20 && *p < 0x7f) ? *p : '?';
    }
    return out.empty() ? "?" : out;
}

}  // namespace

util::Result<std::vector<ProcessUsage>> Proc2ProcessTable::largest(int count) {
    std::vector<ProcessUsage> result;
    if (count <= 0) {
        return result;
    }
    const std::lock_guard<std::mutex> lock(m_mutex);
    pids_item items[k_columns] = {PIDS_ID_PID, PIDS_CMD, PIDS_VM_RSS};
    pids_info* raw = nullptr;
    if (const int rc = procps_pids_new(&raw, items, k_columns); rc < 0 || raw == nullptr) {
        return util::errno_error("libproc2 could not open the process table", rc < 0 ? -rc : EIO);
    }
    const std::unique_ptr<pids_info, PidsUnref> info(raw);
    pids_fetch* fetch = procps_pids_reap(info.get(), PIDS_FETCH_TASKS_ONLY);
    if (fetch == nullptr || fetch->counts == nullptr) {
        return util::errno_error("libproc2 could not read /proc", errno != 0 ? errno : EIO);
    }
    const int total = fetch->counts->total;
    if (total > 0 && procps_pids_sort(info.get(), fetch->stacks, total, PIDS_VM_RSS,
                                      PIDS_SORT_DESCEND) == nullptr) {
        return util::errno_error("libproc2 could not sort the process table", errno);
    }
    for (int i = 0; i < total && static_cast<int>(result.size()) < count; ++i) {
        const pids_stack* stack = fetch->stacks[i];
        const unsigned long rss_kib = PIDS_VAL(column_rss, ul_int, stack, info.get());
        if (rss_kib == 0) {
            break;  // sorted: only kernel threads and zombies follow
        }
        ProcessUsage usage;
        usage.pid = PIDS_VAL(column_pid, s_int, stack, info.get());
        usage.command = sanitise_command(PIDS_VAL(column_cmd, str, stack, info.get()));
        usage.rss = static_cast<core::Bytes>(rss_kib) * core::k_kib;
        result.push_back(std::move(usage));
    }
    return result;
}

}  // namespace stagehand::os
