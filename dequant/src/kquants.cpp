// The K-quants: super-blocks of 256 values with an f16 scale (and an f16 scale of the mins), split
// into sub-blocks of 16 or 32 values whose own scales are small integers. The scalar decoders are the
// shared ones of gguf/blocks/kquants.hpp (which draws the layouts); here are AVX2 decoders doing the
// same float operations in the same order.
#include <cstddef>

#include "gguf/float_formats.hpp"
#include "blocks.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

#if GGUF_DEQUANT_X86
// ---- AVX2: the same operations, eight values at a time, reading the blocks in place ----

GGUF_AVX2 inline __m128i low_lane(__m256i v) { return _mm256_castsi256_si128(v); }
GGUF_AVX2 inline __m128i high_lane(__m256i v) { return _mm256_extracti128_si256(v, 1); }

// 16 int8 -> 16 floats: dl * q.
GGUF_AVX2 inline void store_scaled16(__m128i q, float dl, float* out) {
    const __m256 d = _mm256_set1_ps(dl);
    _mm256_storeu_ps(out, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q))));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)))));
}

// 16 int8 -> 16 floats: dl * q - ml (a multiply, then a subtraction: ggml's rounding).
GGUF_AVX2 inline void store_affine16(__m128i q, float dl, float ml, float* out) {
    const __m256 d = _mm256_set1_ps(dl);
    const __m256 m = _mm256_set1_ps(ml);
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
    _mm256_storeu_ps(out, _mm256_sub_ps(_mm256_mul_ps(d, lo), m));
    _mm256_storeu_ps(out + 8, _mm256_sub_ps(_mm256_mul_ps(d, hi), m));
}

// Bytes of `v` shifted right by `shift` bits, masked to `mask`.
GGUF_AVX2 inline __m256i bits_of(__m256i v, int shift, std::uint8_t mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8(static_cast<char>(mask)));
}

// 0xFF in each byte of `v` where `bit` is set.
GGUF_AVX2 inline __m256i has_bit(__m256i v, std::uint8_t bit) {
    const __m256i b = _mm256_set1_epi8(static_cast<char>(bit));
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, b), b);
}

inline const std::uint8_t* bytes_at(const std::byte* p) { return reinterpret_cast<const std::uint8_t*>(p); }

GGUF_AVX2 void decode_q2_k_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockQ2K);
        const float d = half_at(block + offsetof(BlockQ2K, d));
        const float dmin = half_at(block + offsetof(BlockQ2K, dmin));
        const std::uint8_t* scales = bytes_at(block + offsetof(BlockQ2K, scales));
        for (int h = 0; h < 2; ++h) {
            const __m256i qs = load32(block + offsetof(BlockQ2K, qs) + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i q = bits_of(qs, 2 * k, 3);
                const int sub = 8 * h + 2 * k;
                float* y = out + 128 * h + 32 * k;
                store_affine16(low_lane(q), d * static_cast<float>(scales[sub] & 0x0F),
                               dmin * static_cast<float>(scales[sub] >> 4), y);
                store_affine16(high_lane(q), d * static_cast<float>(scales[sub + 1] & 0x0F),
                               dmin * static_cast<float>(scales[sub + 1] >> 4), y + 16);
            }
        }
    }
}

GGUF_AVX2 void decode_q3_k_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m256i four = _mm256_set1_epi8(4);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockQ3K);
        const float d = half_at(block + offsetof(BlockQ3K, d));
        const std::uint8_t* scales = bytes_at(block + offsetof(BlockQ3K, scales));
        const __m256i hmask = load32(block + offsetof(BlockQ3K, hmask));
        for (int h = 0; h < 2; ++h) {
            const __m256i qs = load32(block + offsetof(BlockQ3K, qs) + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i high_set = has_bit(hmask, static_cast<std::uint8_t>(1u << (4 * h + k)));
                const __m256i q = _mm256_sub_epi8(bits_of(qs, 2 * k, 3), _mm256_andnot_si256(high_set, four));
                const int sub = 8 * h + 2 * k;
                float* y = out + 128 * h + 32 * k;
                store_scaled16(low_lane(q), d * static_cast<float>(q3k_scale(scales, sub) - 32), y);
                store_scaled16(high_lane(q), d * static_cast<float>(q3k_scale(scales, sub + 1) - 32), y + 16);
            }
        }
    }
}

// 32 quants of one sub-block of Q4_K/Q5_K: dl * q - ml.
GGUF_AVX2 inline void store_affine32(__m256i q, float dl, float ml, float* out) {
    store_affine16(low_lane(q), dl, ml, out);
    store_affine16(high_lane(q), dl, ml, out + 16);
}

GGUF_AVX2 void decode_q4_k_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockQ4K);
        const float d = half_at(block + offsetof(BlockQ4K, d));
        const float dmin = half_at(block + offsetof(BlockQ4K, dmin));
        const std::uint8_t* scales = bytes_at(block + offsetof(BlockQ4K, scales));
        for (int pair = 0; pair < 4; ++pair) {
            const __m256i qs = load32(block + offsetof(BlockQ4K, qs) + 32 * pair);
            for (int half = 0; half < 2; ++half) {
                const int sub = 2 * pair + half;
                const ScaleMin sm = k4_scale_min(scales, sub);
                store_affine32(bits_of(qs, 4 * half, 0x0F), d * static_cast<float>(sm.scale),
                               dmin * static_cast<float>(sm.min), out + 32 * sub);
            }
        }
    }
}

GGUF_AVX2 void decode_q5_k_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m256i sixteen = _mm256_set1_epi8(16);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockQ5K);
        const float d = half_at(block + offsetof(BlockQ5K, d));
        const float dmin = half_at(block + offsetof(BlockQ5K, dmin));
        const std::uint8_t* scales = bytes_at(block + offsetof(BlockQ5K, scales));
        const __m256i qh = load32(block + offsetof(BlockQ5K, qh));
        for (int pair = 0; pair < 4; ++pair) {
            const __m256i qs = load32(block + offsetof(BlockQ5K, qs) + 32 * pair);
            for (int half = 0; half < 2; ++half) {
                const int sub = 2 * pair + half;
                const ScaleMin sm = k4_scale_min(scales, sub);
                const __m256i high = _mm256_and_si256(has_bit(qh, static_cast<std::uint8_t>(1u << sub)), sixteen);
                store_affine32(_mm256_or_si256(bits_of(qs, 4 * half, 0x0F), high), d * static_cast<float>(sm.scale),
                               dmin * static_cast<float>(sm.min), out + 32 * sub);
            }
        }
    }
}

GGUF_AVX2 void decode_q6_k_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m256i thirty_two = _mm256_set1_epi8(32);
    const __m256i top_bits = _mm256_set1_epi8(0x30);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockQ6K);
        const float d = half_at(block + offsetof(BlockQ6K, d));
        const auto* scales = reinterpret_cast<const std::int8_t*>(block + offsetof(BlockQ6K, scales));
        for (int h = 0; h < 2; ++h) {
            const __m256i ql[2] = {load32(block + offsetof(BlockQ6K, ql) + 64 * h),
                                   load32(block + offsetof(BlockQ6K, ql) + 64 * h + 32)};
            const __m256i qh = load32(block + offsetof(BlockQ6K, qh) + 32 * h);
            for (int k = 0; k < 4; ++k) {
                const __m256i low = bits_of(ql[k % 2], 4 * (k / 2), 0x0F);
                // bits 2k, 2k+1 of qh moved to bits 4, 5
                const __m256i shifted = 2 * k <= 4 ? _mm256_slli_epi16(qh, 4 - 2 * k) : _mm256_srli_epi16(qh, 2 * k - 4);
                const __m256i high = _mm256_and_si256(shifted, top_bits);
                const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, high), thirty_two);
                const int sub = 8 * h + 2 * k;
                float* y = out + 128 * h + 32 * k;
                store_scaled16(low_lane(q), d * static_cast<float>(scales[sub]), y);
                store_scaled16(high_lane(q), d * static_cast<float>(scales[sub + 1]), y + 16);
            }
        }
    }
}

#endif  // GGUF_DEQUANT_X86

constexpr ScaleField f16_scale(std::string_view name, std::size_t offset) {
    return {name, static_cast<std::uint16_t>(offset), ScaleFormat::f16};
}

constexpr TypeKernels kKQuantKernels[] = {
    {TypeId::Q2_K, decode_scalar<BlockQ2K>, GGUF_AVX2_DECODER(decode_q2_k_avx2),
     {f16_scale("d", offsetof(BlockQ2K, d)), f16_scale("dmin", offsetof(BlockQ2K, dmin))}, 2},
    {TypeId::Q3_K, decode_scalar<BlockQ3K>, GGUF_AVX2_DECODER(decode_q3_k_avx2), {f16_scale("d", offsetof(BlockQ3K, d))}, 1},
    {TypeId::Q4_K, decode_scalar<BlockQ4K>, GGUF_AVX2_DECODER(decode_q4_k_avx2),
     {f16_scale("d", offsetof(BlockQ4K, d)), f16_scale("dmin", offsetof(BlockQ4K, dmin))}, 2},
    {TypeId::Q5_K, decode_scalar<BlockQ5K>, GGUF_AVX2_DECODER(decode_q5_k_avx2),
     {f16_scale("d", offsetof(BlockQ5K, d)), f16_scale("dmin", offsetof(BlockQ5K, dmin))}, 2},
    {TypeId::Q6_K, decode_scalar<BlockQ6K>, GGUF_AVX2_DECODER(decode_q6_k_avx2), {f16_scale("d", offsetof(BlockQ6K, d))}, 1},
};

}  // namespace

std::span<const TypeKernels> kquant_kernels() { return kKQuantKernels; }

}  // namespace gguf::dequant::detail
