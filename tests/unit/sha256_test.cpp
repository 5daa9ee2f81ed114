#include "util/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stagehand::util {
namespace {

struct Vector {
    std::string input;
    const char* digest;
};

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") and the padding
// boundaries at 55/56/64 bytes, where a second padding block starts.
TEST(Sha256, FipsVectors) {
    const Vector vectors[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
        {std::string(1, '\xbd'),
         "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b"},
        {std::string("\xc9\x8c\x8e\x55", 4),
         "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504"},
        {std::string(55, '\0'), "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7"},
        {std::string(56, '\0'), "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb"},
        {std::string(57, '\0'), "65a16cb7861335d5ace3c60718b5052e44660726da4cd13bb745381b235a1785"},
        {std::string(64, '\0'), "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"},
        {std::string(1000, '\0'),
         "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53"},
        {std::string(1000, 'A'),
         "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4"},
        {std::string(1005, 'U'),
         "f4d62ddec0f3dd90ea1380fa16a5ff8dc4c54b21740650f24afc4120903552b0"},
    };
    for (const auto& v : vectors) {
        EXPECT_EQ(sha256_hex(v.input), v.digest) << "input of " << v.input.size() << " bytes";
    }
}

TEST(Sha256, OneMillionA) {
    EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingInAnyChunksEqualsOneShot) {
    std::string data;
    for (int i = 0; i < 300; ++i) {
        data += static_cast<char>(i * 7 + 3);
    }
    const std::string expected = sha256_hex(data);
    for (std::size_t chunk : {1U, 3U, 63U, 64U, 65U, 128U}) {
        Sha256 hash;
        for (std::size_t pos = 0; pos < data.size(); pos += chunk) {
            hash.update(std::string_view(data).substr(pos, chunk));
        }
        std::string hex;
        for (const auto byte : hash.digest()) {
            static constexpr char k_hex[] = "0123456789abcdef";
            hex += k_hex[byte >> 4];
            hex += k_hex[byte & 0xf];
        }
        EXPECT_EQ(hex, expected) << "chunk " << chunk;
    }
}

}  // namespace
}  // namespace stagehand::util
