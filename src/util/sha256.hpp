#pragma once
// SHA-256 (FIPS 180-4), for the checksums in the staging manifest and the "unchanged file"
// test. Small and dependency-free; checked against the FIPS test vectors.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace stagehand::util {

class Sha256 {
  public:
    using Digest = std::array<std::uint8_t, 32>;

    Sha256();
    // Feeds more bytes; may be called any number of times before digest().
    void update(std::string_view data);
    // Finishes and returns the digest; the object must not be updated afterwards.
    Digest digest();
    // digest() as lower-case hex (64 characters); the same one-time rule.
    std::string hex_digest();

  private:
    void compress(const std::uint8_t* block);

    std::array<std::uint32_t, 8> m_state{};
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_buffered = 0;
    std::uint64_t m_length = 0;  // bytes fed so far
};

// Lower-case hex of the SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

}  // namespace stagehand::util
