// xxhash.h's XXH3 with its AVX2 code path, in functions compiled for AVX2 only (a target pragma, as
// dequant's AVX2 kernels use target attributes): nothing else in the program picks up AVX2 code. With
// XXH_INLINE_ALL every xxhash function here is static, apart from the system library's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <immintrin.h>

#include "content_hash.hpp"

#pragma GCC push_options
#pragma GCC target("avx2")
#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>
#pragma GCC pop_options

namespace gguf::rules::detail {

__attribute__((target("avx2"))) Hash128 xxh3_128_avx2(const void* data, std::size_t size) {
    const XXH128_hash_t h = XXH3_128bits(data, size);
    return {h.low64, h.high64};
}

}  // namespace gguf::rules::detail
