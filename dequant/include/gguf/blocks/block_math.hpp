// What every block decoder (gguf/blocks/*.hpp) is written with: one source compiled by g++ for the CPU
// and by nvcc for the GPU, so a block layout is described once. The arithmetic is x86's, bit for bit,
// on both: on the host plain float operations (the including target builds with -ffp-contract=off, so
// no multiply and add is ever fused), on the device round-to-nearest intrinsics, which nvcc never
// fuses, with the NaN that x86 would return put back where CUDA returns its canonical one.
#pragma once

#include <cstdint>

#include "gguf/float_formats.hpp"
#include "gguf/types.hpp"

#if defined(__CUDACC__)
#define GGUF_BLOCK_FN __host__ __device__ __forceinline__
#else
#define GGUF_BLOCK_FN inline __attribute__((always_inline))
#endif
// Loops over the eight values of a group, unrolled. nvcc's host pass gets none: its front end knows no
// GCC pragma and would hand "unroll" to g++, which knows no other (and nothing there is hot).
#if defined(__CUDA_ARCH__)
#define GGUF_UNROLL _Pragma("unroll")
#elif defined(__CUDACC__)
#define GGUF_UNROLL
#else
#define GGUF_UNROLL _Pragma("GCC unroll 8")
#endif

namespace gguf::blocks {

#if defined(__CUDA_ARCH__)
// x86 returns the first NaN operand made quiet, or the "default NaN" 0xFFC00000 when the operation
// itself makes one (0 * inf, inf - inf); CUDA returns 0x7FFFFFFF for all of them.
__device__ __forceinline__ float x86_nan(float a, float b) {
    if (isnan(a)) return __uint_as_float(__float_as_uint(a) | 0x00400000u);
    if (isnan(b)) return __uint_as_float(__float_as_uint(b) | 0x00400000u);
    return __uint_as_float(0xFFC00000u);
}
#endif

GGUF_BLOCK_FN float mul(float a, float b) {
#if defined(__CUDA_ARCH__)
    const float r = __fmul_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
#else
    return a * b;
#endif
}
GGUF_BLOCK_FN float add(float a, float b) {
#if defined(__CUDA_ARCH__)
    const float r = __fadd_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
#else
    return a + b;
#endif
}
GGUF_BLOCK_FN float sub(float a, float b) {
#if defined(__CUDA_ARCH__)
    const float r = __fsub_rn(a, b);
    return isnan(r) ? x86_nan(a, b) : r;
#else
    return a - b;
#endif
}

// Little-endian fields read byte by byte: a block has no alignment (blocks of 17 to 210 bytes follow
// each other), and a big-endian file's blocks are converted before they reach a decoder.
GGUF_BLOCK_FN std::uint32_t u16(const std::uint8_t* p) { return p[0] | std::uint32_t{p[1]} << 8; }
GGUF_BLOCK_FN std::uint32_t u32(const std::uint8_t* p) {
    return p[0] | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
GGUF_BLOCK_FN float f16(const std::uint8_t* p) { return fp16_to_fp32(static_cast<std::uint16_t>(u16(p))); }

// The 4-bit code of value i (0..31) of a 32-value run packed as qs[j] = hhhhllll (l: value j, h: j + 16).
GGUF_BLOCK_FN int nibble32(const std::uint8_t* qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }

// Every block type below is a struct whose fields are ggml's block layout (static_assert on its
// size) and whose static members say how to decode it:
//   type             the ggml type id
//   values, bytes    values per block, bytes per block
//   decode8(b, g, v) values 8g .. 8g+7 of the little-endian block at b (no alignment assumed)
// Eight values at a time is what a GPU thread decodes; the CPU's scalar decoder calls it for each g.

}  // namespace gguf::blocks
