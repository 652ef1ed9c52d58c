// 4-bit quants whose codes index a table of non-uniform values: IQ4_NL, IQ4_XS, MXFP4 and NVFP4. The
// scalar decoders are the shared ones of gguf/blocks/nonlinear.hpp (which draws the layouts); here
// are AVX2 decoders that look the codes up with a byte shuffle, then do the same multiply.
#include <cstddef>

#include "gguf/float_formats.hpp"
#include "blocks.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

#if GGUF_DEQUANT_X86
// ---- AVX2: a byte shuffle looks the codes up, then the same multiply ----

GGUF_AVX2 inline __m128i table(const std::int8_t (&values)[16]) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(values));
}

// 16 int8 table values -> 16 floats times d.
GGUF_AVX2 inline void store_scaled16(__m128i values, __m256 d, float* out) {
    _mm256_storeu_ps(out, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(values))));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(values, 8)))));
}

// Looks up the 32 codes of 16 packed bytes; writes 32 floats of table value times d.
GGUF_AVX2 inline void store_looked_up(__m128i lut, const std::byte* qs, float d, float* out) {
    const __m128i packed = load16(qs);
    const __m128i mask = _mm_set1_epi8(0x0F);
    const __m256 scale = _mm256_set1_ps(d);
    store_scaled16(_mm_shuffle_epi8(lut, _mm_and_si128(packed, mask)), scale, out);
    store_scaled16(_mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(packed, 4), mask)), scale, out + 16);
}

GGUF_AVX2 void decode_iq4_nl_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kIQ4Values);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockIQ4NL);
        store_looked_up(lut, block + offsetof(BlockIQ4NL, qs), half_at(block + offsetof(BlockIQ4NL, d)), out);
    }
}

GGUF_AVX2 void decode_iq4_xs_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kIQ4Values);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 256) {
        const std::byte* block = in + b * sizeof(BlockIQ4XS);
        const float d = half_at(block + offsetof(BlockIQ4XS, d));
        const auto scales_h = load_le<std::uint16_t>(block + offsetof(BlockIQ4XS, scales_h));
        const auto* scales_l = reinterpret_cast<const std::uint8_t*>(block + offsetof(BlockIQ4XS, scales_l));
        for (int j = 0; j < 8; ++j)
            store_looked_up(lut, block + offsetof(BlockIQ4XS, qs) + 16 * j,
                            d * static_cast<float>(iq4xs_scale(scales_h, scales_l, j) - 32), out + 32 * j);
    }
}

GGUF_AVX2 void decode_mxfp4_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kFP4Doubled);
    for (std::size_t b = 0; b < n_blocks; ++b, out += 32) {
        const std::byte* block = in + b * sizeof(BlockMXFP4);
        store_looked_up(lut, block + offsetof(BlockMXFP4, qs), e8m0_half(static_cast<std::uint8_t>(block[0])), out);
    }
}

// NVFP4: per 16-value sub-block, the low nibbles of its 8 bytes (values 0-7) then the high ones (8-15)
// are looked up as one 16-byte vector and scaled by the sub-block's UE4M3 scale.
GGUF_AVX2 void decode_nvfp4_avx2(const std::byte* in, std::size_t n_blocks, float* out) {
    const __m128i lut = table(kFP4Doubled);
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (std::size_t b = 0; b < n_blocks; ++b) {
        const auto* block = reinterpret_cast<const std::uint8_t*>(in + b * sizeof(BlockNVFP4));
        for (int s = 0; s < 4; ++s, out += 16) {
            const __m128i packed = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block + offsetof(BlockNVFP4, qs) + 8 * s));
            const __m128i codes =
                _mm_unpacklo_epi64(_mm_and_si128(packed, mask), _mm_and_si128(_mm_srli_epi16(packed, 4), mask));
            store_scaled16(_mm_shuffle_epi8(lut, codes), _mm256_set1_ps(ue4m3_half(block[s])), out);
        }
    }
}

#endif  // GGUF_DEQUANT_X86

constexpr TypeKernels kNonlinearKernels[] = {
    {TypeId::IQ4_NL, decode_scalar<BlockIQ4NL>, GGUF_AVX2_DECODER(decode_iq4_nl_avx2), {ScaleField{"d", 0, ScaleFormat::f16}}, 1},
    {TypeId::IQ4_XS, decode_scalar<BlockIQ4XS>, GGUF_AVX2_DECODER(decode_iq4_xs_avx2), {ScaleField{"d", 0, ScaleFormat::f16}}, 1},
    {TypeId::MXFP4, decode_scalar<BlockMXFP4>, GGUF_AVX2_DECODER(decode_mxfp4_avx2), {ScaleField{"e", 0, ScaleFormat::e8m0}}, 1},
    {TypeId::NVFP4, decode_scalar<BlockNVFP4>, GGUF_AVX2_DECODER(decode_nvfp4_avx2), {ScaleField{"d", 0, ScaleFormat::ue4m3, 4}}, 1},
};

}  // namespace

std::span<const TypeKernels> nonlinear_kernels() { return kNonlinearKernels; }

}  // namespace gguf::dequant::detail
