// The legacy quants: blocks of 32 values with one f16 scale (and for the _1 types an f16 offset), and
// Q1_0 and Q2_0 (one f16 scale, 1- and 2-bit codes). The scalar decoders are the shared ones of
// gguf/blocks/legacy.hpp (which draws the layouts); here are AVX2 decoders for the 32-value types,
// doing the same float operations in the same order, eight values at a time.
#include <cstddef>

#include "gguf/float_formats.hpp"
#include "blocks.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

#if GGUF_DEQUANT_X86
// ---- AVX2: the same operations, eight values at a time ----

// 16 int8 -> 16 floats times d.
GGUF_AVX2 inline void store_scaled(__m128i q, __m256 d, float* out) {
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
    _mm256_storeu_ps(out, _mm256_mul_ps(lo, d));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(hi, d));
}

// 16 int8 -> 16 floats times d plus m (a multiply, then an add: ggml's rounding).
GGUF_AVX2 inline void store_affine(__m128i q, __m256 d, __m256 m, float* out) {
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_mul_ps(lo, d), m));
    _mm256_storeu_ps(out + 8, _mm256_add_ps(_mm256_mul_ps(hi, d), m));
}

GGUF_AVX2 inline __m128i low_nibbles(__m128i packed) { return _mm_and_si128(packed, _mm_set1_epi8(0x0F)); }
GGUF_AVX2 inline __m128i high_nibbles(__m128i packed) {
    return _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
}

// Bits 0..15 of `bits` as 16 bytes of 0x10 (bit set) or 0x00: the fifth bit of 16 values.
GGUF_AVX2 inline __m128i fifth_bits(std::uint32_t bits) {
    const __m128i both_bytes = _mm_shuffle_epi8(_mm_cvtsi32_si128(static_cast<int>(bits)),
                                                _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const __m128i bit = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
    const __m128i set = _mm_cmpeq_epi8(_mm_and_si128(both_bytes, bit), bit);
    return _mm_and_si128(set, _mm_set1_epi8(0x10));
}

GGUF_AVX2 void decode_q4_0_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i eight = _mm_set1_epi8(8);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockQ4_0);
        const __m256 d = _mm256_set1_ps(half_at(block));
        const __m128i packed = load16(block + offsetof(BlockQ4_0, qs));
        store_scaled(_mm_sub_epi8(low_nibbles(packed), eight), d, out);
        store_scaled(_mm_sub_epi8(high_nibbles(packed), eight), d, out + 16);
    }
}

GGUF_AVX2 void decode_q4_1_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockQ4_1);
        const __m256 d = _mm256_set1_ps(half_at(block + offsetof(BlockQ4_1, d)));
        const __m256 m = _mm256_set1_ps(half_at(block + offsetof(BlockQ4_1, m)));
        const __m128i packed = load16(block + offsetof(BlockQ4_1, qs));
        store_affine(low_nibbles(packed), d, m, out);
        store_affine(high_nibbles(packed), d, m, out + 16);
    }
}

GGUF_AVX2 void decode_q5_0_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i sixteen = _mm_set1_epi8(16);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockQ5_0);
        const __m256 d = _mm256_set1_ps(half_at(block));
        const std::uint32_t qh = load_le<std::uint32_t>(block + offsetof(BlockQ5_0, qh));
        const __m128i packed = load16(block + offsetof(BlockQ5_0, qs));
        const __m128i lo = _mm_or_si128(low_nibbles(packed), fifth_bits(qh));
        const __m128i hi = _mm_or_si128(high_nibbles(packed), fifth_bits(qh >> 16));
        store_scaled(_mm_sub_epi8(lo, sixteen), d, out);
        store_scaled(_mm_sub_epi8(hi, sixteen), d, out + 16);
    }
}

GGUF_AVX2 void decode_q5_1_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockQ5_1);
        const __m256 d = _mm256_set1_ps(half_at(block + offsetof(BlockQ5_1, d)));
        const __m256 m = _mm256_set1_ps(half_at(block + offsetof(BlockQ5_1, m)));
        const std::uint32_t qh = load_le<std::uint32_t>(block + offsetof(BlockQ5_1, qh));
        const __m128i packed = load16(block + offsetof(BlockQ5_1, qs));
        store_affine(_mm_or_si128(low_nibbles(packed), fifth_bits(qh)), d, m, out);
        store_affine(_mm_or_si128(high_nibbles(packed), fifth_bits(qh >> 16)), d, m, out + 16);
    }
}

GGUF_AVX2 void decode_q8_0_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockQ8_0);
        const __m256 d = _mm256_set1_ps(half_at(block));
        const std::byte* qs = block + offsetof(BlockQ8_0, qs);
        store_scaled(load16(qs), d, out);
        store_scaled(load16(qs + 16), d, out + 16);
    }
}

#endif  // GGUF_DEQUANT_X86

constexpr ScaleField kD{"d", 0, ScaleFormat::f16};

constexpr TypeKernels kLegacyKernels[] = {
    {TypeId::Q4_0, decode_scalar<BlockQ4_0>, GGUF_AVX2_DECODER(decode_q4_0_avx2), {kD}, 1},
    {TypeId::Q4_1, decode_scalar<BlockQ4_1>, GGUF_AVX2_DECODER(decode_q4_1_avx2), {kD, ScaleField{"m", offsetof(BlockQ4_1, m), ScaleFormat::f16}}, 2},
    {TypeId::Q5_0, decode_scalar<BlockQ5_0>, GGUF_AVX2_DECODER(decode_q5_0_avx2), {kD}, 1},
    {TypeId::Q5_1, decode_scalar<BlockQ5_1>, GGUF_AVX2_DECODER(decode_q5_1_avx2), {kD, ScaleField{"m", offsetof(BlockQ5_1, m), ScaleFormat::f16}}, 2},
    {TypeId::Q8_0, decode_scalar<BlockQ8_0>, GGUF_AVX2_DECODER(decode_q8_0_avx2), {kD}, 1},
    {TypeId::Q1_0, decode_scalar<BlockQ1_0>, nullptr, {kD}, 1},
    {TypeId::Q2_0, decode_scalar<BlockQ2_0>, nullptr, {kD}, 1},
};

}  // namespace

std::span<const TypeKernels> legacy_kernels() { return kLegacyKernels; }

}  // namespace gguf::dequant::detail
