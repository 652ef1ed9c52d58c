// The code books of the IQ types as host and device tables, and the two small tables that can be
// computed (sign parity, bit masks). The grids themselves are format data read out of ggml's to_float
// (iq_grid_data.hpp, generated); each entry packs the 8 (or 4) values of one group, value j in byte j.
#pragma once

#include <cstdint>

#include "gguf/blocks/block_math.hpp"
#include "gguf/blocks/iq_grid_data.hpp"

namespace gguf::blocks {

namespace host_grids {
inline constexpr std::uint64_t kIQ2XXS[256] = {GGUF_IQ2XXS_GRID};
inline constexpr std::uint64_t kIQ2XS[512] = {GGUF_IQ2XS_GRID};
inline constexpr std::uint64_t kIQ2S[1024] = {GGUF_IQ2S_GRID};
inline constexpr std::uint32_t kIQ3XXS[256] = {GGUF_IQ3XXS_GRID};
inline constexpr std::uint32_t kIQ3S[512] = {GGUF_IQ3S_GRID};
inline constexpr std::uint64_t kIQ1S[2048] = {GGUF_IQ1S_GRID};
}  // namespace host_grids

#if defined(__CUDACC__)
// Global memory (through the L1 cache), not __constant__: the threads of a warp look up different
// entries, which constant memory would serialize. One copy per translation unit.
namespace device_grids {
static __device__ const std::uint64_t kIQ2XXS[256] = {GGUF_IQ2XXS_GRID};
static __device__ const std::uint64_t kIQ2XS[512] = {GGUF_IQ2XS_GRID};
static __device__ const std::uint64_t kIQ2S[1024] = {GGUF_IQ2S_GRID};
static __device__ const std::uint32_t kIQ3XXS[256] = {GGUF_IQ3XXS_GRID};
static __device__ const std::uint32_t kIQ3S[512] = {GGUF_IQ3S_GRID};
static __device__ const std::uint64_t kIQ1S[2048] = {GGUF_IQ1S_GRID};
}  // namespace device_grids
#endif

// The device pass of nvcc reads the device copy, every host compiler the host one.
#if defined(__CUDA_ARCH__)
#define GGUF_GRID(name, i) device_grids::name[i]
#else
#define GGUF_GRID(name, i) host_grids::name[i]
#endif

GGUF_BLOCK_FN std::uint64_t iq2xxs_grid(int i) { return GGUF_GRID(kIQ2XXS, i); }
GGUF_BLOCK_FN std::uint64_t iq2xs_grid(int i) { return GGUF_GRID(kIQ2XS, i); }
GGUF_BLOCK_FN std::uint64_t iq2s_grid(int i) { return GGUF_GRID(kIQ2S, i); }
GGUF_BLOCK_FN std::uint32_t iq3xxs_grid(int i) { return GGUF_GRID(kIQ3XXS, i); }
GGUF_BLOCK_FN std::uint32_t iq3s_grid(int i) { return GGUF_GRID(kIQ3S, i); }
GGUF_BLOCK_FN std::uint64_t iq1s_grid(int i) { return GGUF_GRID(kIQ1S, i); }

#undef GGUF_GRID

// Byte j of a grid entry: an unsigned magnitude (IQ2, IQ3) or an int8 (IQ1).
GGUF_BLOCK_FN int grid_byte(std::uint64_t entry, int j) { return static_cast<int>((entry >> (8 * j)) & 0xFFu); }
GGUF_BLOCK_FN int grid_int8(std::uint64_t entry, int j) { return static_cast<std::int8_t>((entry >> (8 * j)) & 0xFFu); }

// The sign bits of a group of eight from a 7-bit sign index: bits 0-6 as stored, bit 7 chosen so that
// the number of minus signs is even (the quantizers flip the smallest value to make it so).
GGUF_BLOCK_FN constexpr int signs_from_index(int index) {
    int parity = index ^ (index >> 4);
    parity ^= parity >> 2;
    parity ^= parity >> 1;
    return index | (parity & 1) << 7;
}

// x with the sign of value j of a group with sign bits `signs`. ggml's source multiplies by +-1, but
// its build flips the sign bit instead (a NaN times -1 would keep its sign on x86; ggml's comes out
// negated), so that is what this does: a negation, exact on host and device alike.
GGUF_BLOCK_FN float apply_sign(float x, int signs, int j) { return (signs >> j) & 1 ? -x : x; }

}  // namespace gguf::blocks
