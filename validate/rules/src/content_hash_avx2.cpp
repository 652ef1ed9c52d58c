// xxhash.h's XXH3 with its AVX2 code path, in functions compiled for AVX2 only (a target pragma, as
// dequant's AVX2 kernels use target attributes): nothing else in the program picks up AVX2 code. With
// XXH_INLINE_ALL every xxhash function here is static, apart from the system library's. Other
// processors compile nothing here (content_hash.hpp declares the function for x86 only).
#if defined(__x86_64__) || defined(__i386__)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>

#include "content_hash.hpp"

// GCC takes the target as a pragma; clang ignores that pragma and applies an attribute to every
// function declared in the region instead.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace gguf::rules::detail {

__attribute__((target("avx2"))) Hash128 xxh3_128_avx2(const void* data, std::size_t size) {
    const XXH128_hash_t h = XXH3_128bits(data, size);
    return {h.low64, h.high64};
}

}  // namespace gguf::rules::detail

#endif  // x86
