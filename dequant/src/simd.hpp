// AVX2 code paths are compiled per function with a target attribute instead of per file with -mavx2,
// so nothing else in a translation unit (inline library code in particular) can pick up AVX2
// instructions and break a generic build on an older CPU. They run only when simd_enabled().
// Other processors (aarch64) build the scalar decoders only: GGUF_DEQUANT_X86 is 0 there, the AVX2
// code is compiled out and a table's AVX2 slot, written GGUF_AVX2_DECODER(fn), is nullptr.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define GGUF_DEQUANT_X86 1
#define GGUF_AVX2_DECODER(fn) fn
#else
#define GGUF_DEQUANT_X86 0
#define GGUF_AVX2_DECODER(fn) nullptr
#endif

#if GGUF_DEQUANT_X86
#include <immintrin.h>

#define GGUF_AVX2 __attribute__((target("avx2,f16c")))

#include <cstdint>
#include <cstring>

namespace gguf::dequant::detail {

// F16C's conversion: the same bits as fp16_to_fp32 (NaN payloads included; the exhaustive F16 test
// compares them), without its branches.
GGUF_AVX2 inline float half_to_float(std::uint16_t h) { return _cvtsh_ss(h); }

// The f16 at `p` (unaligned).
GGUF_AVX2 inline float half_at(const std::byte* p) {
    std::uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return half_to_float(h);
}

GGUF_AVX2 inline __m128i load16(const std::byte* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
GGUF_AVX2 inline __m256i load32(const std::byte* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

}  // namespace gguf::dequant::detail

#endif  // GGUF_DEQUANT_X86
