// Plain numbers: F32, F16, BF16, F64 and the integer types I8, I16, I32, I64, one value per "block".
// ggml has no to_float for F32, F64 and the integers; their float value is the C conversion
// (round to nearest even for F64 and for integers beyond 2^24).
#include <cstring>

#include "gguf/float_formats.hpp"
#include "kernels.hpp"
#include "simd.hpp"

namespace gguf::dequant::detail {
namespace {

void decode_f32(const std::byte* in, std::size_t n, float* out) { std::memcpy(out, in, n * sizeof(float)); }

//   F16:  seeeeemm mmmmmmmm  (bit 15 first)  value = (-1)^s * 2^(e-15) * 1.m, subnormal for e = 0
void decode_f16(const std::byte* in, std::size_t n, float* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = fp16_to_fp32(load_le<std::uint16_t>(in + 2 * i));
}

//   BF16: seeeeeee emmmmmmm  the top half of an F32
void decode_bf16(const std::byte* in, std::size_t n, float* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_fp32(load_le<std::uint16_t>(in + 2 * i));
}

template <class T>
void decode_number(const std::byte* in, std::size_t n, float* out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load_le<T>(in + sizeof(T) * i));
}

#if GGUF_DEQUANT_X86
// ---- AVX2 ----

GGUF_AVX2 void decode_f16_avx2(const std::byte* in, std::size_t n, float* out) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
    }
    decode_f16(in + 2 * i, n - i, out + i);
}

GGUF_AVX2 void decode_bf16_avx2(const std::byte* in, std::size_t n, float* out) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_slli_epi32(h, 16));
    }
    decode_bf16(in + 2 * i, n - i, out + i);
}

#endif  // GGUF_DEQUANT_X86

constexpr TypeKernels kFloatKernels[] = {
    {TypeId::F32, decode_f32},
    {TypeId::F16, decode_f16, GGUF_AVX2_DECODER(decode_f16_avx2)},
    {TypeId::BF16, decode_bf16, GGUF_AVX2_DECODER(decode_bf16_avx2)},
    {TypeId::F64, decode_number<double>},
    {TypeId::I8, decode_number<std::int8_t>},
    {TypeId::I16, decode_number<std::int16_t>},
    {TypeId::I32, decode_number<std::int32_t>},
    {TypeId::I64, decode_number<std::int64_t>},
};

}  // namespace

std::span<const TypeKernels> float_kernels() { return kFloatKernels; }

}  // namespace gguf::dequant::detail
