// Device decoders of every ggml block type the CPU dequantizer supports, eight consecutive values at a
// time. Each value is computed with the same float operations, in the same order, as the CPU decoders
// (dequant/src/{legacy,kquants,nonlinear}.cpp, whose block layouts are drawn in *_blocks.hpp there):
// explicit round-to-nearest intrinsics keep nvcc from fusing a multiply and an add into one FMA, and a
// NaN comes out with the bits x86 gives it (tests/cuda/dequant_test.cpp checks every bit).
//
// A decoder reads its block through a byte pointer with no alignment assumed (blocks are 17 to 210
// bytes and follow each other unaligned), so the same code decodes from global or shared memory.
#pragma once

#include <cstdint>
#include <type_traits>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"

namespace gguf::cuda::blocks {

// ---- x86's float semantics for the cases where CUDA differs: NaN results ----
// x86 returns the first NaN operand made quiet, or the "default NaN" 0xFFC00000 when the operation
// itself makes one (0 * inf, inf - inf); CUDA returns 0x7FFFFFFF for all of them.
__device__ __forceinline__ float x86_nan(float a, float b) {
    if (isnan(a)) return __uint_as_float(__float_as_uint(a) | 0x00400000u);
    if (isnan(b)) return __uint_as_float(__float_as_uint(b) | 0x00400000u);
    return __uint_as_float(0xFFC00000u);
}
__device__ __forceinline__ float mul(float a, float b) {
    const float r = __fmul_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
}
__device__ __forceinline__ float add(float a, float b) {
    const float r = __fadd_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
}
__device__ __forceinline__ float sub(float a, float b) {
    const float r = __fsub_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
}

__device__ __forceinline__ std::uint32_t u16(const std::uint8_t* p) { return p[0] | std::uint32_t{p[1]} << 8; }
__device__ __forceinline__ std::uint32_t u32(const std::uint8_t* p) {
    return p[0] | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
__device__ __forceinline__ float f16(const std::uint8_t* p) { return fp16_to_fp32(static_cast<std::uint16_t>(u16(p))); }

// The 4-bit code of value i (0..31) of a 32-value run packed as qs[j] = hhhhllll (l: value j, h: j + 16).
__device__ __forceinline__ int nibble32(const std::uint8_t* qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }

// The IQ4 code book and the doubled FP4 values (ggml-common.h's kvalues_iq4nl, kvalues_mxfp4), 16 int8
// each, packed into two 64-bit words: an array indexed at run time would live in local memory, which
// made these decoders three times slower than the others.
__host__ __device__ constexpr int table16(std::uint64_t low, std::uint64_t high, int code) {
    return static_cast<std::int8_t>(((code < 8 ? low : high) >> (8 * (code & 7))) & 0xFFu);
}
__host__ __device__ constexpr int iq4_value(int code) { return table16(0xF6EADDCFBFAD9881ull, 0x7159453526190D01ull, code); }
__host__ __device__ constexpr int fp4_doubled(int code) { return table16(0x0C08060403020100ull, 0xF4F8FAFCFDFEFF00ull, code); }

namespace check {
constexpr int kIQ4[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
constexpr int kFP4[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
constexpr bool tables_match() {
    for (int c = 0; c < 16; ++c)
        if (iq4_value(c) != kIQ4[c] || fp4_doubled(c) != kFP4[c]) return false;
    return true;
}
static_assert(tables_match(), "packed code books differ from ggml's tables");
}  // namespace check

// Every block type: `values` per block of `bytes`; decode8(block, g, v) writes values 8g .. 8g+7.

// Q4_0: d (f16), qs[16].                                value = (q - 8) * d
struct Q4_0 {
    static constexpr TypeId type = TypeId::Q4_0;
    static constexpr int values = 32, bytes = 18;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(nibble32(b + 2, 8 * g + k) - 8), d);
    }
};

// Q4_1: d, m (f16), qs[16].                             value = q * d + m
struct Q4_1 {
    static constexpr TypeId type = TypeId::Q4_1;
    static constexpr int values = 32, bytes = 20;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), m = f16(b + 2);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = add(mul(static_cast<float>(nibble32(b + 4, 8 * g + k)), d), m);
    }
};

// Q5_0: d (f16), qh (uint32: bit i = bit 4 of q[i]), qs[16].     value = (q - 16) * d
struct Q5_0 {
    static constexpr TypeId type = TypeId::Q5_0;
    static constexpr int values = 32, bytes = 22;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        const std::uint32_t qh = u32(b + 2);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int i = 8 * g + k;
            const int q = nibble32(b + 6, i) | static_cast<int>((qh >> i) & 1u) << 4;
            v[k] = mul(static_cast<float>(q - 16), d);
        }
    }
};

// Q5_1: d, m (f16), qh (uint32), qs[16].                value = q * d + m
struct Q5_1 {
    static constexpr TypeId type = TypeId::Q5_1;
    static constexpr int values = 32, bytes = 24;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), m = f16(b + 2);
        const std::uint32_t qh = u32(b + 4);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int i = 8 * g + k;
            const int q = nibble32(b + 8, i) | static_cast<int>((qh >> i) & 1u) << 4;
            v[k] = add(mul(static_cast<float>(q), d), m);
        }
    }
};

// Q8_0: d (f16), qs[32] int8.                           value = q * d
struct Q8_0 {
    static constexpr TypeId type = TypeId::Q8_0;
    static constexpr int values = 32, bytes = 34;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(static_cast<std::int8_t>(b[2 + 8 * g + k])), d);
    }
};

// Q2_K: scales[16] (mmmmssss), qs[64], d, dmin (f16).   value = (d * s) * q - dmin * m
//   value i = 128h + 32k + l: q = (qs[32h + l] >> 2k) & 3, sub-block i / 16
struct Q2_K {
    static constexpr TypeId type = TypeId::Q2_K;
    static constexpr int values = 256, bytes = 84;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 80), dmin = f16(b + 82);
        const int i0 = 8 * g;
        const std::uint8_t s = b[i0 / 16];
        const float dl = mul(d, static_cast<float>(s & 0x0F));
        const float ml = mul(dmin, static_cast<float>(s >> 4));
        const int h = i0 / 128, shift = 2 * ((i0 % 128) / 32);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int q = (b[16 + 32 * h + (i0 + k) % 32] >> shift) & 3;
            v[k] = sub(mul(dl, static_cast<float>(q)), ml);
        }
    }
};

// Q3_K: hmask[32], qs[64], scales[12] (sixteen 6-bit), d (f16).   value = (d * (s - 32)) * (q - 4 * !hbit)
struct Q3_K {
    static constexpr TypeId type = TypeId::Q3_K;
    static constexpr int values = 256, bytes = 110;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 108);
        const std::uint8_t* sc = b + 96;
        const int i0 = 8 * g, j = i0 / 16;
        const int low4 = j < 8 ? sc[j] & 0x0F : sc[j - 8] >> 4;
        const int high2 = (sc[8 + j % 4] >> (2 * (j / 4))) & 3;
        const float dl = mul(d, static_cast<float>((low4 | high2 << 4) - 32));
        const int h = i0 / 128, kk = (i0 % 128) / 32;
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int l = (i0 + k) % 32;
            const int low = (b[32 + 32 * h + l] >> (2 * kk)) & 3;
            const bool high = (b[l] >> (4 * h + kk)) & 1;
            v[k] = mul(dl, static_cast<float>(low - (high ? 0 : 4)));
        }
    }
};

// Q4_K / Q5_K's eight 6-bit scales and mins packed in 12 bytes.
__device__ __forceinline__ void k4_scale_min(const std::uint8_t* sc, int j, int& scale, int& min) {
    if (j < 4) {
        scale = sc[j] & 63;
        min = sc[j + 4] & 63;
    } else {
        scale = (sc[j + 4] & 0x0F) | (sc[j - 4] >> 6) << 4;
        min = (sc[j + 4] >> 4) | (sc[j] >> 6) << 4;
    }
}

// Q4_K: d, dmin (f16), scales[12], qs[128].             value = (d * s) * q - dmin * m
//   value i = 32 sub + l: q = (qs[32 (sub/2) + l] >> 4 (sub%2)) & 15
struct Q4_K {
    static constexpr TypeId type = TypeId::Q4_K;
    static constexpr int values = 256, bytes = 144;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), dmin = f16(b + 2);
        const int i0 = 8 * g, part = i0 / 32;
        int scale, min;
        k4_scale_min(b + 4, part, scale, min);
        const float dl = mul(d, static_cast<float>(scale));
        const float ml = mul(dmin, static_cast<float>(min));
        const std::uint8_t* qs = b + 16 + 32 * (part / 2) + i0 % 32;
        const int shift = 4 * (part % 2);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = sub(mul(dl, static_cast<float>((qs[k] >> shift) & 0x0F)), ml);
    }
};

// Q5_K: d, dmin (f16), scales[12], qh[32], qs[128].     value = (d * s) * q - dmin * m, q has 5 bits
struct Q5_K {
    static constexpr TypeId type = TypeId::Q5_K;
    static constexpr int values = 256, bytes = 176;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b), dmin = f16(b + 2);
        const int i0 = 8 * g, part = i0 / 32, l0 = i0 % 32;
        int scale, min;
        k4_scale_min(b + 4, part, scale, min);
        const float dl = mul(d, static_cast<float>(scale));
        const float ml = mul(dmin, static_cast<float>(min));
        const std::uint8_t* qh = b + 16 + l0;
        const std::uint8_t* qs = b + 48 + 32 * (part / 2) + l0;
        const int shift = 4 * (part % 2);
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int q = ((qs[k] >> shift) & 0x0F) | ((qh[k] >> part) & 1) << 4;
            v[k] = sub(mul(dl, static_cast<float>(q)), ml);
        }
    }
};

// Q6_K: ql[128], qh[64], scales[16] int8, d (f16).      value = (d * s) * (q - 32)
//   value i = 128h + 32k + l: q = ((ql[64h + 32 (k%2) + l] >> 4 (k/2)) & 15) | ((qh[32h + l] >> 2k) & 3) << 4
struct Q6_K {
    static constexpr TypeId type = TypeId::Q6_K;
    static constexpr int values = 256, bytes = 210;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b + 208);
        const int i0 = 8 * g, h = i0 / 128, kk = (i0 % 128) / 32, l0 = i0 % 32;
        const float dl = mul(d, static_cast<float>(static_cast<std::int8_t>(b[192 + i0 / 16])));
        const std::uint8_t* ql = b + 64 * h + 32 * (kk % 2) + l0;
        const std::uint8_t* qh = b + 128 + 32 * h + l0;
#pragma unroll
        for (int k = 0; k < 8; ++k) {
            const int low = (ql[k] >> (4 * (kk / 2))) & 0x0F;
            const int high = (qh[k] >> (2 * kk)) & 3;
            v[k] = mul(dl, static_cast<float>((low | high << 4) - 32));
        }
    }
};

// IQ4_NL: d (f16), qs[16] of codes.                     value = d * kIQ4Values[c]
struct IQ4_NL {
    static constexpr TypeId type = TypeId::IQ4_NL;
    static constexpr int values = 32, bytes = 18;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = mul(d, static_cast<float>(iq4_value(nibble32(b + 2, 8 * g + k))));
    }
};

// IQ4_XS: d (f16), scales_h (uint16), scales_l[4], qs[128].   value = (d * (s - 32)) * kIQ4Values[c]
struct IQ4_XS {
    static constexpr TypeId type = TypeId::IQ4_XS;
    static constexpr int values = 256, bytes = 136;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const float d = f16(b);
        const std::uint32_t scales_h = u16(b + 2);
        const int i0 = 8 * g, j = i0 / 32;
        const int s = ((b[4 + j / 2] >> (4 * (j % 2))) & 0x0F) | static_cast<int>((scales_h >> (2 * j)) & 3u) << 4;
        const float dl = mul(d, static_cast<float>(s - 32));
#pragma unroll
        for (int k = 0; k < 8; ++k)
            v[k] = mul(dl, static_cast<float>(iq4_value(nibble32(b + 8 + 16 * j, (i0 + k) % 32))));
    }
};

// MXFP4: e (E8M0), qs[16] of FP4 codes.                 value = kFP4Doubled[c] * 2^(e - 128)
struct MXFP4 {
    static constexpr TypeId type = TypeId::MXFP4;
    static constexpr int values = 32, bytes = 17;
    __device__ static void decode8(const std::uint8_t* b, int g, float (&v)[8]) {
        const std::uint8_t e = b[0];
        // Half the E8M0 scale, an exact power of two (subnormal for e < 2), as dequant computes it.
        const float d = __uint_as_float(e < 2 ? 0x00200000u << e : static_cast<std::uint32_t>(e - 1) << 23);
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = mul(static_cast<float>(fp4_doubled(nibble32(b + 1, 8 * g + k))), d);
    }
};

// ---- plain numbers: one value per element; "blocks" of 8 elements for the fused matrix-vector product ----

// double -> float as x86's cvtsd2ss rounds it; a NaN keeps its sign and top payload bits, made quiet.
__device__ __forceinline__ float f64_to_f32(double x) {
    if (isnan(x)) {
        const auto bits = static_cast<std::uint64_t>(__double_as_longlong(x));
        return __uint_as_float(static_cast<std::uint32_t>(bits >> 32 & 0x80000000u) | 0x7FC00000u |
                               static_cast<std::uint32_t>(bits >> 29 & 0x003FFFFFu));
    }
    return __double2float_rn(x);
}

// An integer or double element (unaligned), converted as C++'s static_cast<float> does on x86.
template <class Element>
__device__ __forceinline__ float plain_value(const std::uint8_t* p) {
    Element e;
    memcpy(&e, p, sizeof e);
    if constexpr (std::is_same_v<Element, double>) return f64_to_f32(e);
    else return static_cast<float>(e);
}

struct F16Value {
    __device__ static float convert(const std::uint8_t* p) { return fp16_to_fp32(static_cast<std::uint16_t>(u16(p))); }
};
struct BF16Value {
    __device__ static float convert(const std::uint8_t* p) { return bf16_to_fp32(static_cast<std::uint16_t>(u16(p))); }
};
struct F32Value {
    __device__ static float convert(const std::uint8_t* p) { return __uint_as_float(u32(p)); }
};
template <class Element>
struct NumberValue {
    __device__ static float convert(const std::uint8_t* p) { return plain_value<Element>(p); }
};

template <TypeId Id, int ElementBytes, class Convert>
struct Plain {
    static constexpr TypeId type = Id;
    static constexpr int element_bytes = ElementBytes;
    static constexpr int values = 8, bytes = 8 * ElementBytes;
    __device__ static float value(const std::uint8_t* p) { return Convert::convert(p); }
    __device__ static void decode8(const std::uint8_t* b, int /*g*/, float (&v)[8]) {
#pragma unroll
        for (int k = 0; k < 8; ++k) v[k] = Convert::convert(b + k * ElementBytes);
    }
};

using F32 = Plain<TypeId::F32, 4, F32Value>;
using F16 = Plain<TypeId::F16, 2, F16Value>;
using BF16 = Plain<TypeId::BF16, 2, BF16Value>;
using F64 = Plain<TypeId::F64, 8, NumberValue<double>>;
using I8 = Plain<TypeId::I8, 1, NumberValue<std::int8_t>>;
using I16 = Plain<TypeId::I16, 2, NumberValue<std::int16_t>>;
using I32 = Plain<TypeId::I32, 4, NumberValue<std::int32_t>>;
using I64 = Plain<TypeId::I64, 8, NumberValue<std::int64_t>>;

// Plain number types have `element_bytes`; quantized blocks do not.
template <class T>
concept PlainType = requires { T::element_bytes; };

// Calls f(Type{}) for the block type of `type`; returns false when there is none.
template <class F>
bool visit_quant(std::uint32_t type, F&& f) {
    switch (static_cast<TypeId>(type)) {
        case TypeId::Q4_0: f(Q4_0{}); return true;
        case TypeId::Q4_1: f(Q4_1{}); return true;
        case TypeId::Q5_0: f(Q5_0{}); return true;
        case TypeId::Q5_1: f(Q5_1{}); return true;
        case TypeId::Q8_0: f(Q8_0{}); return true;
        case TypeId::Q2_K: f(Q2_K{}); return true;
        case TypeId::Q3_K: f(Q3_K{}); return true;
        case TypeId::Q4_K: f(Q4_K{}); return true;
        case TypeId::Q5_K: f(Q5_K{}); return true;
        case TypeId::Q6_K: f(Q6_K{}); return true;
        case TypeId::IQ4_NL: f(IQ4_NL{}); return true;
        case TypeId::IQ4_XS: f(IQ4_XS{}); return true;
        case TypeId::MXFP4: f(MXFP4{}); return true;
        default: return false;
    }
}

template <class F>
bool visit_plain(std::uint32_t type, F&& f) {
    switch (static_cast<TypeId>(type)) {
        case TypeId::F32: f(F32{}); return true;
        case TypeId::F16: f(F16{}); return true;
        case TypeId::BF16: f(BF16{}); return true;
        case TypeId::F64: f(F64{}); return true;
        case TypeId::I8: f(I8{}); return true;
        case TypeId::I16: f(I16{}); return true;
        case TypeId::I32: f(I32{}); return true;
        case TypeId::I64: f(I64{}); return true;
        default: return false;
    }
}

}  // namespace gguf::cuda::blocks
