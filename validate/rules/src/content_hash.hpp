// XXH3-128 of a tensor's raw bytes, for the identical-tensor rule. The hash value is XXH3's whatever
// instructions compute it: an AVX2 build of xxhash.h where the CPU has AVX2 (twice the speed of the
// system library, which is built for SSE2), the system library otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace gguf::rules {

struct Hash128 {
    std::uint64_t low = 0, high = 0;
    bool operator==(const Hash128&) const = default;
};

// XXH3-128 of fixed 16 MiB pieces, then of the pieces' digests (a single piece: XXH3-128 of the bytes):
// equal bytes give equal hashes, and the pieces of a large tensor are hashed on all cores, unless the
// caller is already running one tensor per core.
Hash128 content_hash(std::span<const std::byte> bytes);

// XXH3-128 (seed 0) of the bytes.
Hash128 xxh3_128(const void* data, std::size_t size);

namespace detail {
// The two implementations xxh3_128 chooses from (tests compare them).
Hash128 xxh3_128_library(const void* data, std::size_t size);
bool xxh3_avx2_supported();  // dequant::simd_enabled(): the project's one AVX2 switch (false off x86)
#if defined(__x86_64__) || defined(__i386__)
Hash128 xxh3_128_avx2(const void* data, std::size_t size);  // only where xxh3_avx2_supported()
#endif
}  // namespace detail

}  // namespace gguf::rules
