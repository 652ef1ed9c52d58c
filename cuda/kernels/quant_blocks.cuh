// Device decoders of every ggml type the CPU dequantizer supports, eight consecutive values at a
// time. The quantized block types are the shared scalar decoders of dequant's gguf/blocks/*.hpp (the
// same source the CPU's scalar decoder runs, with x86's float semantics on the device: see
// block_math.hpp; tests/cuda/dequant_test.cpp checks every bit); the plain number types are here.
//
// A decoder reads its block through a byte pointer with no alignment assumed (blocks are 17 to 210
// bytes and follow each other unaligned), so the same code decodes from global or shared memory.
#pragma once

#include <cstdint>
#include <type_traits>

#include "gguf/blocks/iquants.hpp"
#include "gguf/blocks/kquants.hpp"
#include "gguf/blocks/legacy.hpp"
#include "gguf/blocks/nonlinear.hpp"
#include "gguf/blocks/ternary.hpp"
#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"

namespace gguf::cuda::blocks {

using namespace ::gguf::blocks;

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
        case TypeId::Q4_0: f(BlockQ4_0{}); return true;
        case TypeId::Q4_1: f(BlockQ4_1{}); return true;
        case TypeId::Q5_0: f(BlockQ5_0{}); return true;
        case TypeId::Q5_1: f(BlockQ5_1{}); return true;
        case TypeId::Q8_0: f(BlockQ8_0{}); return true;
        case TypeId::Q1_0: f(BlockQ1_0{}); return true;
        case TypeId::Q2_0: f(BlockQ2_0{}); return true;
        case TypeId::Q2_K: f(BlockQ2K{}); return true;
        case TypeId::Q3_K: f(BlockQ3K{}); return true;
        case TypeId::Q4_K: f(BlockQ4K{}); return true;
        case TypeId::Q5_K: f(BlockQ5K{}); return true;
        case TypeId::Q6_K: f(BlockQ6K{}); return true;
        case TypeId::IQ4_NL: f(BlockIQ4NL{}); return true;
        case TypeId::IQ4_XS: f(BlockIQ4XS{}); return true;
        case TypeId::MXFP4: f(BlockMXFP4{}); return true;
        case TypeId::NVFP4: f(BlockNVFP4{}); return true;
        case TypeId::IQ2_XXS: f(BlockIQ2XXS{}); return true;
        case TypeId::IQ2_XS: f(BlockIQ2XS{}); return true;
        case TypeId::IQ2_S: f(BlockIQ2S{}); return true;
        case TypeId::IQ3_XXS: f(BlockIQ3XXS{}); return true;
        case TypeId::IQ3_S: f(BlockIQ3S{}); return true;
        case TypeId::IQ1_S: f(BlockIQ1S{}); return true;
        case TypeId::IQ1_M: f(BlockIQ1M{}); return true;
        case TypeId::TQ1_0: f(BlockTQ1_0{}); return true;
        case TypeId::TQ2_0: f(BlockTQ2_0{}); return true;
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
