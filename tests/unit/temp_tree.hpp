#pragma once
// A fresh folder per test, removed afterwards, to build a fixture root (/proc, /sys) with
// files and real symlinks.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace stagehand::test {

class TempTree {
  public:
    TempTree() {
        std::string tmpl = std::filesystem::temp_directory_path() / "stagehand-mem-XXXXXX";
        m_root = ::mkdtemp(tmpl.data());
    }
    ~TempTree() { std::filesystem::remove_all(m_root); }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    const std::string& root() const { return m_root; }
    void write(const std::string& path, const std::string& text) const {
        const std::filesystem::path full = m_root + path;
        std::filesystem::create_directories(full.parent_path());
        std::ofstream(full) << text;
    }
    // A symlink at `path` pointing at `target` (which need not exist: "socket:[123]").
    void link(const std::string& path, const std::string& target) const {
        const std::filesystem::path full = m_root + path;
        std::filesystem::create_directories(full.parent_path());
        std::filesystem::create_symlink(target, full);
    }

  private:
    std::string m_root;
};

}  // namespace stagehand::test
