#include "content_hash.hpp"

#include <omp.h>
#include <xxhash.h>

#include "gguf/dequant.hpp"

#include <algorithm>
#include <vector>

namespace gguf::rules {

namespace detail {

Hash128 xxh3_128_library(const void* data, std::size_t size) {
    const XXH128_hash_t h = XXH3_128bits(data, size);
    return {h.low64, h.high64};
}

bool xxh3_avx2_supported() { return dequant::simd_enabled(); }

}  // namespace detail

Hash128 xxh3_128(const void* data, std::size_t size) {
#if defined(__x86_64__) || defined(__i386__)
    if (detail::xxh3_avx2_supported()) return detail::xxh3_128_avx2(data, size);
#endif
    return detail::xxh3_128_library(data, size);
}

Hash128 content_hash(std::span<const std::byte> bytes) {
    constexpr std::size_t kPiece = std::size_t{16} << 20;
    if (bytes.size() <= kPiece) return xxh3_128(bytes.data(), bytes.size());
    const std::size_t pieces = (bytes.size() + kPiece - 1) / kPiece;
    // The digests in XXH128_hash_t's layout (low64, high64), as the hash of the pieces has always read them.
    std::vector<std::uint64_t> digests(2 * pieces);
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel())
    for (std::size_t i = 0; i < pieces; ++i) {
        const std::size_t begin = i * kPiece;
        const Hash128 h = xxh3_128(bytes.data() + begin, std::min(kPiece, bytes.size() - begin));
        digests[2 * i] = h.low;
        digests[2 * i + 1] = h.high;
    }
    return xxh3_128(digests.data(), digests.size() * sizeof(std::uint64_t));
}

}  // namespace gguf::rules
