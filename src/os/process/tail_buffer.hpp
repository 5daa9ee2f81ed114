#pragma once
// Internal to src/os/process: keeps the last `cap` bytes of a child's output. The tail is
// what explains a failure (docker prints the error last).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace stagehand::os {

class TailBuffer {
  public:
    explicit TailBuffer(std::size_t cap) : m_cap(cap) {}

    void append(std::string_view bytes) {
        if (m_cap == 0) {
            return;
        }
        m_data.append(bytes);
        // Trim only when twice over the cap, so a flood costs amortised O(1) per byte.
        if (m_data.size() > 2 * m_cap) {
            m_data.erase(0, m_data.size() - m_cap);
        }
    }
    // The last `cap` bytes appended; the buffer is empty afterwards.
    std::string take() {
        if (m_data.size() > m_cap) {
            m_data.erase(0, m_data.size() - m_cap);
        }
        return std::exchange(m_data, {});
    }

  private:
    std::size_t m_cap;
    std::string m_data;
};

}  // namespace stagehand::os
