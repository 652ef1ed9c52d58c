// The 16-bit float formats of GGUF tensors and block scales, converted exactly as ggml converts them
// on x86 (bit for bit, NaN payloads included), so that host code, the CPU forward pass and CUDA
// kernels agree with each other and with llama.cpp. Integer arithmetic only: the results do not
// depend on the FPU's rounding mode, flush-to-zero setting or NaN canonicalisation (CUDA's float
// arithmetic returns a canonical NaN where x86 keeps the payload).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define GGUF_FLOAT_FORMATS_FN __host__ __device__ inline
#else
#define GGUF_FLOAT_FORMATS_FN inline
#endif

namespace gguf {

GGUF_FLOAT_FORMATS_FN float float_from_bits(std::uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
#endif
}

GGUF_FLOAT_FORMATS_FN std::uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(f);
#else
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
#endif
}

// IEEE binary16 -> binary32 bits. Every finite half is exact in float. A NaN keeps its sign and
// payload and comes out quiet (bit 22 set): that is what ggml's conversion yields on x86, where the
// NaN passes through a float multiplication, and what F16C's vcvtph2ps yields.
GGUF_FLOAT_FORMATS_FN std::uint32_t fp16_to_fp32_bits(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1Fu;
    std::uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1F) return sign | 0x7F800000u | (mantissa << 13) | (mantissa != 0 ? 0x00400000u : 0u);
    if (exponent != 0) return sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    if (mantissa == 0) return sign;
    // Subnormal half: mantissa * 2^-24, normalised so that the leading 1 becomes implicit.
    std::uint32_t float_exponent = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
        mantissa <<= 1;
        --float_exponent;
    }
    return sign | (float_exponent << 23) | ((mantissa & 0x3FFu) << 13);
}

GGUF_FLOAT_FORMATS_FN float fp16_to_fp32(std::uint16_t h) { return float_from_bits(fp16_to_fp32_bits(h)); }

// binary32 -> binary16, rounding to nearest even; values from 65520 up become infinity, values up to
// 2^-25 become (signed) zero. Every NaN becomes 0x7E00 with the input's sign, as in ggml.
GGUF_FLOAT_FORMATS_FN std::uint16_t fp32_to_fp16(float f) {
    const std::uint32_t bits = float_to_bits(f);
    const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    const std::uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return sign | 0x7E00u;
    if (magnitude >= 0x477FF000u) return sign | 0x7C00u;  // 65520 and up round to infinity
    std::uint32_t result;
    std::uint32_t remainder;
    std::uint32_t halfway;
    if (magnitude >= 0x38800000u) {  // normal half (>= 2^-14): rebias the exponent, keep 10 mantissa bits
        result = ((magnitude >> 23) - (127 - 15)) << 10 | ((magnitude >> 13) & 0x3FFu);
        remainder = magnitude & 0x1FFFu;
        halfway = 0x1000u;
    } else if (magnitude <= 0x33000000u) {  // at most half the smallest subnormal: rounds to zero
        return sign;
    } else {  // subnormal half: the value in units of 2^-24
        const std::uint32_t significand = (magnitude & 0x7FFFFFu) | 0x800000u;
        const std::uint32_t shift = 126 - (magnitude >> 23);  // 14..24 here
        result = significand >> shift;
        remainder = significand & ((1u << shift) - 1);
        halfway = 1u << (shift - 1);
    }
    if (remainder > halfway || (remainder == halfway && (result & 1u))) ++result;  // a carry may reach the exponent
    return static_cast<std::uint16_t>(sign | result);
}

// bfloat16 is the top half of a binary32.
GGUF_FLOAT_FORMATS_FN float bf16_to_fp32(std::uint16_t h) { return float_from_bits(static_cast<std::uint32_t>(h) << 16); }

// binary32 -> bfloat16, rounding to nearest even (large values round to infinity); a NaN keeps its
// sign and top payload bits and is made quiet, as in ggml.
GGUF_FLOAT_FORMATS_FN std::uint16_t fp32_to_bf16(float f) {
    const std::uint32_t bits = float_to_bits(f);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x40u);
    const std::uint32_t round_bias = 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>((bits + round_bias) >> 16);
}

// The E8M0 scale of MXFP4 blocks: 2^(e - 127) (e = 0 gives 2^-127, a subnormal). ggml stores the FP4
// codes doubled, so its decoder uses half of this scale; see dequant's nonlinear.cpp.
GGUF_FLOAT_FORMATS_FN float e8m0_to_fp32(std::uint8_t e) {
    return float_from_bits(e == 0 ? 0x00400000u : static_cast<std::uint32_t>(e) << 23);
}

}  // namespace gguf

#undef GGUF_FLOAT_FORMATS_FN
