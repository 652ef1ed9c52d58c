// The importance-matrix quants (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) and the ternary
// ones (TQ1_0, TQ2_0): the shared scalar decoders of gguf/blocks/iquants.hpp and ternary.hpp (which
// draw the layouts), and AVX2 decoders doing the same float operations eight values at a time: for the
// code-book types the shared group() reads each group's scale, entry and signs, and only the expansion
// of the eight values is vectorized.
#include "blocks.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

#if GGUF_DEQUANT_X86
// The 8 bytes of a grid entry, as 8 int32 lanes (unsigned or signed bytes).
GGUF_AVX2 inline __m256 entry_bytes(std::uint64_t entry, bool signed_bytes) {
    const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(entry));
    return _mm256_cvtepi32_ps(signed_bytes ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes));
}

// Lanes j where bit j of `signs` is set get their sign bit flipped (ggml's negation).
GGUF_AVX2 inline __m256 with_signs(__m256 v, int signs) {
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(signs), bit), bit);
    return _mm256_xor_ps(v, _mm256_castsi256_ps(_mm256_slli_epi32(set, 31)));
}

template <class Block>
GGUF_AVX2 void decode_groups_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += Block::bytes) {
        for (int g = 0; g < Block::values / 8; ++g, out += 8) {
            const Group p = Block::group(b, g);
            __m256 v;
            if constexpr (Block::shifted)
                v = _mm256_mul_ps(_mm256_set1_ps(p.scale), _mm256_add_ps(entry_bytes(p.entry, true), _mm256_set1_ps(p.delta)));
            else
                v = with_signs(_mm256_mul_ps(_mm256_set1_ps(p.scale), entry_bytes(p.entry, false)), p.signs);
            _mm256_storeu_ps(out, v);
        }
    }
}

// 8 values dl * (grid + delta) of an IQ1 grid entry.
GGUF_AVX2 inline void store_iq1(std::uint64_t entry, __m256 dl, __m256 delta, float* out) {
    _mm256_storeu_ps(out, _mm256_mul_ps(dl, _mm256_add_ps(entry_bytes(entry, true), delta)));
}

// IQ1_S and IQ1_M, a sub-block at a time: the scales and shifts that group() would read once per
// group of 8 are read once per sub-block (or pair of groups) here, the same values from the same bits.
GGUF_AVX2 void decode_iq1_s_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += BlockIQ1S::bytes) {
        const float d = f16(b);
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t qh = u16(b + 34 + 2 * k);
            const __m256 dl = _mm256_set1_ps(mul(d, static_cast<float>(2 * static_cast<int>((qh >> 12) & 7u) + 1)));
            const __m256 delta = _mm256_set1_ps(iq1_delta(qh >> 15));
            for (int l = 0; l < 4; ++l, out += 8)
                store_iq1(iq1s_grid(b[2 + 4 * k + l] | static_cast<int>((qh >> (3 * l)) & 7u) << 8), dl, delta, out);
        }
    }
}

GGUF_AVX2 void decode_iq1_m_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += BlockIQ1M::bytes) {
        const float d = fp16_to_fp32(iq1m_scale_bits(b + 48));
        for (int k = 0; k < 8; ++k) {
            const std::uint32_t word = u16(b + 48 + 2 * (k / 2));
            for (int half = 0; half < 2; ++half) {  // groups 2*half, 2*half + 1 share a scale
                const int s = static_cast<int>((word >> (6 * (k % 2) + 3 * half)) & 7u);
                const __m256 dl = _mm256_set1_ps(mul(d, static_cast<float>(2 * s + 1)));
                const int qh = b[32 + 2 * k + half];
                for (int m = 0; m < 2; ++m, out += 8) {
                    const int bits = (qh >> (4 * m)) & 0x0F;
                    store_iq1(iq1s_grid(b[4 * k + 2 * half + m] | (bits & 7) << 8), dl,
                              _mm256_set1_ps(iq1_delta(static_cast<std::uint32_t>(bits) >> 3)), out);
                }
            }
        }
    }
}

// (t - 1) * d for 8 ternary digits t in int32 lanes.
GGUF_AVX2 inline void store_ternary(__m256i t, __m256 d, float* out) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(t, _mm256_set1_epi32(1))), d));
}

// Digit n of 8 TQ1_0 bytes: (((byte * 3^n) mod 256) * 3) >> 8.
GGUF_AVX2 inline __m256i tq1_digits(const std::uint8_t* bytes, int pow3) {
    const __m256i x = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes)));
    const __m256i q = _mm256_and_si256(_mm256_mullo_epi32(x, _mm256_set1_epi32(pow3)), _mm256_set1_epi32(0xFF));
    return _mm256_srli_epi32(_mm256_mullo_epi32(q, _mm256_set1_epi32(3)), 8);
}

GGUF_AVX2 void decode_tq1_0_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    constexpr int kPow3[5] = {1, 3, 9, 27, 81};
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += BlockTQ1_0::bytes, out += 256) {
        const __m256 d = _mm256_set1_ps(f16(b + 52));
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 32; m += 8) store_ternary(tq1_digits(b + m, kPow3[n]), d, out + 32 * n + m);
        for (int n = 0; n < 5; ++n)
            for (int m = 0; m < 16; m += 8) store_ternary(tq1_digits(b + 32 + m, kPow3[n]), d, out + 160 + 16 * n + m);
        // values 240 + 4n + m, digit n of qh[m]: two digits' worth of lanes at a time
        alignas(8) std::uint8_t qh2[8];
        for (int k = 0; k < 8; ++k) qh2[k] = b[48 + k % 4];
        for (int n = 0; n < 4; n += 2) {
            const __m256i lo = tq1_digits(qh2, kPow3[n]), hi = tq1_digits(qh2, kPow3[n + 1]);
            store_ternary(_mm256_blend_epi32(lo, hi, 0xF0), d, out + 240 + 4 * n);
        }
    }
}

GGUF_AVX2 void decode_tq2_0_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += BlockTQ2_0::bytes, out += 256) {
        const __m256 d = _mm256_set1_ps(f16(b + 64));
        for (int h = 0; h < 2; ++h)
            for (int m = 0; m < 32; m += 8) {
                const __m256i x = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 32 * h + m)));
                for (int l = 0; l < 4; ++l)
                    store_ternary(_mm256_and_si256(_mm256_srli_epi32(x, 2 * l), _mm256_set1_epi32(3)), d,
                                  out + 128 * h + 32 * l + m);
            }
    }
}

#endif  // GGUF_DEQUANT_X86

constexpr ScaleField kD{"d", 0, ScaleFormat::f16};

constexpr TypeKernels kIQuantKernels[] = {
    {TypeId::IQ2_XXS, decode_scalar<BlockIQ2XXS>, GGUF_AVX2_DECODER(decode_groups_avx2<BlockIQ2XXS>), {kD}, 1},
    {TypeId::IQ2_XS, decode_scalar<BlockIQ2XS>, GGUF_AVX2_DECODER(decode_groups_avx2<BlockIQ2XS>), {kD}, 1},
    {TypeId::IQ2_S, decode_scalar<BlockIQ2S>, GGUF_AVX2_DECODER(decode_groups_avx2<BlockIQ2S>), {kD}, 1},
    {TypeId::IQ3_XXS, decode_scalar<BlockIQ3XXS>, GGUF_AVX2_DECODER(decode_groups_avx2<BlockIQ3XXS>), {kD}, 1},
    {TypeId::IQ3_S, decode_scalar<BlockIQ3S>, GGUF_AVX2_DECODER(decode_groups_avx2<BlockIQ3S>), {kD}, 1},
    {TypeId::IQ1_S, decode_scalar<BlockIQ1S>, GGUF_AVX2_DECODER(decode_iq1_s_avx2), {kD}, 1},
    {TypeId::IQ1_M, decode_scalar<BlockIQ1M>, GGUF_AVX2_DECODER(decode_iq1_m_avx2),
     {ScaleField{"d", offsetof(BlockIQ1M, scales), ScaleFormat::iq1m}}, 1},
    {TypeId::TQ1_0, decode_scalar<BlockTQ1_0>, GGUF_AVX2_DECODER(decode_tq1_0_avx2), {ScaleField{"d", offsetof(BlockTQ1_0, d), ScaleFormat::f16}}, 1},
    {TypeId::TQ2_0, decode_scalar<BlockTQ2_0>, GGUF_AVX2_DECODER(decode_tq2_0_avx2), {ScaleField{"d", offsetof(BlockTQ2_0, d), ScaleFormat::f16}}, 1},
};

}  // namespace

std::span<const TypeKernels> iquant_kernels() { return kIQuantKernels; }

}  // namespace gguf::dequant::detail
