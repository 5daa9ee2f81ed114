#include <libproc2/meminfo.h>

#include <cerrno>
#include <limits>
#include <memory>

#include "os/memory/cgroup_files.hpp"
#include "os/memory/readers.hpp"
#include "os/sys/read_file.hpp"

namespace stagehand::os {

namespace {

struct MeminfoUnref {
    void operator()(meminfo_info* info) const { procps_meminfo_unref(&info); }
};

util::Result<core::Bytes> kib_to_bytes(unsigned long kib, const char* name) {
    if (kib > static_cast<unsigned long>(std::numeric_limits<core::Bytes>::max() / 1024)) {
        return util::Error{std::string("libproc2: ") + name + " out of range"};
    }
    return static_cast<core::Bytes>(kib) * 1024;
}

// A fresh meminfo_info per read: procps_meminfo_get re-reads the file at most once a second
// and the info keeps /proc/meminfo open (without O_CLOEXEC) for as long as it lives.
util::Result<MeminfoFigures> read_with_libproc2() {
    meminfo_info* raw = nullptr;
    if (const int rc = procps_meminfo_new(&raw); rc < 0 || raw == nullptr) {
        return util::errno_error("libproc2 could not read /proc/meminfo", rc < 0 ? -rc : EIO);
    }
    const std::unique_ptr<meminfo_info, MeminfoUnref> info(raw);
    // procps_meminfo_get returns the same result slot every time: copy each value out
    // before the next call.
    unsigned long kib[2] = {0, 0};
    const meminfo_item items[2] = {MEMINFO_MEM_TOTAL, MEMINFO_MEM_AVAILABLE};
    for (int i = 0; i < 2; ++i) {
        const meminfo_result* result = procps_meminfo_get(info.get(), items[i]);
        if (result == nullptr) {
            return util::Error{"libproc2 returned no MemTotal / MemAvailable"};
        }
        kib[i] = result->result.ul_int;
    }
    auto total_bytes = kib_to_bytes(kib[0], "MemTotal");
    auto available_bytes = kib_to_bytes(kib[1], "MemAvailable");
    if (!total_bytes || !available_bytes || *total_bytes == 0) {
        return util::Error{"libproc2 returned MemTotal / MemAvailable out of range"};
    }
    return MeminfoFigures{*total_bytes, *available_bytes};
}

}  // namespace

std::string join_root(const std::string& root, const std::string& path) {
    std::string prefix = root;
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.pop_back();
    }
    return prefix + path;
}

util::Result<MeminfoFigures> read_host_meminfo(const std::string& root) {
    if (join_root(root, "").empty()) {
        if (auto figures = read_with_libproc2()) {
            return figures;
        }
        // Fall through: our own parser reports what is wrong with the file.
    }
    return read_and_parse(join_root(root, "/proc/meminfo"), parse_meminfo);
}

util::Result<std::optional<double>> read_psi(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) {
        // No file: kernel before 4.20 or without CONFIG_PSI (Amazon Linux 2's 4.14).
        // EOPNOTSUPP: a kernel built with PSI but booted with psi=0.
        const int code = text.error().code;
        if (code == ENOENT || code == EOPNOTSUPP) {
            return std::optional<double>{};
        }
        return text.error();
    }
    auto value = parse_psi_some_avg10(*text);
    if (!value) {
        return util::Error{path + ": " + value.error().message};
    }
    return std::optional<double>(*value);
}

util::Result<MemorySnapshot> MeminfoReader::read() {
    auto figures = read_host_meminfo(m_root);
    if (!figures) {
        return figures.error();
    }
    auto psi = read_psi(join_root(m_root, "/proc/pressure/memory"));
    if (!psi) {
        return psi.error();
    }
    MemorySnapshot snapshot;
    snapshot.total = figures->total;
    snapshot.available = figures->available;
    snapshot.psi_some_avg10 = *psi;
    snapshot.source = "meminfo";
    return snapshot;
}

}  // namespace stagehand::os
