// The content hash is XXH3-128 whatever computes it: the AVX2 build of xxhash.h gives the system
// library's XXH3_128bits at every length (each of XXH3's input-size paths) and alignment, and the hash
// of a tensor larger than one 16 MiB piece is the hash of its pieces' digests.
#include <doctest/doctest.h>

#include <xxhash.h>

#include <cstddef>
#include <random>
#include <vector>

#include "content_hash.hpp"

using gguf::rules::Hash128;

namespace {

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::byte> out(n);
    for (auto& b : out) b = static_cast<std::byte>(rng());
    return out;
}

Hash128 library_hash(const void* data, std::size_t size) {
    const XXH128_hash_t h = XXH3_128bits(data, size);
    return {h.low64, h.high64};
}

}  // namespace

#if defined(__x86_64__) || defined(__i386__)
TEST_CASE("the AVX2 XXH3-128 equals the system library's at every input size and alignment") {
    if (!gguf::rules::detail::xxh3_avx2_supported()) {
        MESSAGE("skipped: this CPU has no AVX2 (or GGUF_DOCTOR_SIMD=0), so only the library's XXH3 runs");
        return;
    }
    const auto bytes = random_bytes((1u << 20) + 64, 1);
    // 0..4 KiB covers the 0-16, 17-128, 129-240 byte paths and the long-input stripes and blocks.
    for (std::size_t size = 0; size <= 4096; ++size)
        for (std::size_t offset : {0u, 1u, 7u}) {
            const std::byte* p = bytes.data() + offset;
            REQUIRE(gguf::rules::detail::xxh3_128_avx2(p, size) == library_hash(p, size));
        }
    for (std::size_t size : {std::size_t{65536}, std::size_t{65537}, std::size_t{1} << 20, (std::size_t{1} << 20) + 63})
        for (std::size_t offset : {0u, 1u}) {
            const std::byte* p = bytes.data() + offset;
            CHECK(gguf::rules::detail::xxh3_128_avx2(p, size) == library_hash(p, size));
            CHECK(gguf::rules::xxh3_128(p, size) == library_hash(p, size));
        }
}
#endif  // x86: elsewhere the library's XXH3 is the only one

TEST_CASE("the content hash of a tensor up to 16 MiB is XXH3-128 of its bytes") {
    const auto bytes = random_bytes(3u << 20, 2);
    CHECK(gguf::rules::content_hash(bytes) == library_hash(bytes.data(), bytes.size()));
    CHECK(gguf::rules::content_hash({}) == library_hash(nullptr, 0));
}

TEST_CASE("the content hash of a larger tensor is XXH3-128 of its 16 MiB pieces' digests") {
    constexpr std::size_t kPiece = std::size_t{16} << 20;
    const auto bytes = random_bytes(2 * kPiece + 12345, 3);
    std::vector<XXH128_hash_t> digests;
    for (std::size_t at = 0; at < bytes.size(); at += kPiece)
        digests.push_back(XXH3_128bits(bytes.data() + at, std::min(kPiece, bytes.size() - at)));
    CHECK(gguf::rules::content_hash(bytes) == library_hash(digests.data(), digests.size() * sizeof(XXH128_hash_t)));
}
