// 4-bit quants whose codes index a table of non-uniform values: IQ4_NL, IQ4_XS and MXFP4. Each value
// is the table entry (a small integer) converted to float, times the block's float scale, as in
// ggml's dequantize_row_iq4_nl, _iq4_xs and _mxfp4.
#include <cstddef>

#include "gguf/float_formats.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

// The IQ4 code book (ggml-common.h: kvalues_iq4nl).
constexpr std::int8_t kIQ4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// FP4 (E2M1) values, doubled so that they are integers (ggml-common.h: kvalues_mxfp4); the block
// scale is halved to compensate.
constexpr std::int8_t kFP4Doubled[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// IQ4_NL: 32 values in 18 bytes.                value[i] = d * kIQ4Values[c[i]],   c[i] in 0..15
//   byte 0-1    d       f16 scale
//   byte 2-17   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16]
struct BlockIQ4NL {
    std::uint16_t d;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockIQ4NL) == 18);

void decode_iq4_nl(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const auto x = load_block<BlockIQ4NL>(in + b * sizeof(BlockIQ4NL));
        const float d = fp16_to_fp32(x.d);
        for (int j = 0; j < 16; ++j) {
            out[j] = d * static_cast<float>(kIQ4Values[x.qs[j] & 0x0F]);
            out[j + 16] = d * static_cast<float>(kIQ4Values[x.qs[j] >> 4]);
        }
    }
}

// IQ4_XS: 256 values in 136 bytes, 8 sub-blocks of 32.
//     value[i] = (d * (s[i/32] - 32)) * kIQ4Values[c[i]],   s in 0..63
//   byte 0-1    d            f16 super-block scale
//   byte 2-3    scales_h     uint16: bits 2j, 2j+1 = top 2 bits of s[j]
//   byte 4-7    scales_l[4]  scales_l[j/2] = hhhhllll: l = low 4 bits of s[j] (j even), h = of s[j+1]
//   byte 8-135  qs[128]      for i = 32*j + l (l < 16): qs[16*j + l] = hhhhllll: l = c[i], h = c[i+16]
struct BlockIQ4XS {
    std::uint16_t d;
    std::uint16_t scales_h;
    std::uint8_t scales_l[4];
    std::uint8_t qs[128];
};
static_assert(sizeof(BlockIQ4XS) == 136);

int iq4xs_scale(const BlockIQ4XS& x, int j) {
    return ((x.scales_l[j / 2] >> (4 * (j % 2))) & 0x0F) | ((x.scales_h >> (2 * j)) & 3) << 4;
}

void decode_iq4_xs(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const auto x = load_block<BlockIQ4XS>(in + b * sizeof(BlockIQ4XS));
        const float d = fp16_to_fp32(x.d);
        for (int j = 0; j < 8; ++j) {
            const float dl = d * static_cast<float>(iq4xs_scale(x, j) - 32);
            const std::uint8_t* qs = x.qs + 16 * j;
            float* y = out + 32 * j;
            for (int l = 0; l < 16; ++l) {
                y[l] = dl * static_cast<float>(kIQ4Values[qs[l] & 0x0F]);
                y[l + 16] = dl * static_cast<float>(kIQ4Values[qs[l] >> 4]);
            }
        }
    }
}

// MXFP4: 32 values in 17 bytes.                 value[i] = kFP4Doubled[c[i]] * 2^(e - 128)
//   byte 0      e       E8M0 exponent (ggml ignores the OCP spec's NaN encoding 0xFF: 2^127 here)
//   byte 1-16   qs[16]  qs[j] = hhhhllll: l = c[j], h = c[j+16];  c = s e e m (sign, E2M1)
struct BlockMXFP4 {
    std::uint8_t e;
    std::uint8_t qs[16];
};
static_assert(sizeof(BlockMXFP4) == 17);

// Half of the E8M0 scale, as ggml computes it (exact powers of two; e < 2 gives subnormals).
float e8m0_half(std::uint8_t e) {
    return float_from_bits(e < 2 ? 0x00200000u << e : static_cast<std::uint32_t>(e - 1) << 23);
}

void decode_mxfp4(const std::byte* in, std::size_t n_blocks, float* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const auto x = load_block<BlockMXFP4>(in + b * sizeof(BlockMXFP4));
        const float d = e8m0_half(x.e);
        for (int j = 0; j < 16; ++j) {
            out[j] = static_cast<float>(kFP4Doubled[x.qs[j] & 0x0F]) * d;
            out[j + 16] = static_cast<float>(kFP4Doubled[x.qs[j] >> 4]) * d;
        }
    }
}

// ---- AVX2: a byte shuffle looks the codes up, then the same multiply ----

GGUF_AVX2 inline __m128i table(const std::int8_t (&values)[16]) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(values));
}

// Looks up the 32 codes of 16 packed bytes; writes 32 floats of table value times d.
GGUF_AVX2 inline void store_looked_up(__m128i lut, const std::uint8_t* qs, float d, float* out) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i mask = _mm_set1_epi8(0x0F);
    const __m128i low = _mm_shuffle_epi8(lut, _mm_and_si128(packed, mask));
    const __m128i high = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(packed, 4), mask));
    const __m256 scale = _mm256_set1_ps(d);
    const __m128i parts[4] = {low, _mm_srli_si128(low, 8), high, _mm_srli_si128(high, 8)};
    for (int p = 0; p < 4; ++p)
        _mm256_storeu_ps(out + 8 * p, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[p]))));
}

GGUF_AVX2 void decode_iq4_nl_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kIQ4Values);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const auto x = load_block<BlockIQ4NL>(in + b * sizeof(BlockIQ4NL));
        store_looked_up(lut, x.qs, fp16_to_fp32(x.d), out);
    }
}

GGUF_AVX2 void decode_iq4_xs_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kIQ4Values);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const auto x = load_block<BlockIQ4XS>(in + b * sizeof(BlockIQ4XS));
        const float d = fp16_to_fp32(x.d);
        for (int j = 0; j < 8; ++j)
            store_looked_up(lut, x.qs + 16 * j, d * static_cast<float>(iq4xs_scale(x, j) - 32), out + 32 * j);
    }
}

GGUF_AVX2 void decode_mxfp4_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kFP4Doubled);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const auto x = load_block<BlockMXFP4>(in + b * sizeof(BlockMXFP4));
        store_looked_up(lut, x.qs, e8m0_half(x.e), out);
    }
}

constexpr TypeKernels kNonlinearKernels[] = {
    {TypeId::IQ4_NL, decode_iq4_nl, decode_iq4_nl_avx2, {ScaleField{"d", 0, ScaleFormat::f16}}, 1},
    {TypeId::IQ4_XS, decode_iq4_xs, decode_iq4_xs_avx2, {ScaleField{"d", 0, ScaleFormat::f16}}, 1},
    {TypeId::MXFP4, decode_mxfp4, decode_mxfp4_avx2, {ScaleField{"e", 0, ScaleFormat::e8m0}}, 1},
};

}  // namespace

std::span<const TypeKernels> nonlinear_kernels() { return kNonlinearKernels; }

}  // namespace gguf::dequant::detail
