// The decoders of every supported type, as a table: each quant family (float.cpp, legacy.cpp,
// kquants.cpp, nonlinear.cpp, iquants.cpp) lists its types with a scalar decoder, the reference that tests hold
// everything else to, and where it pays an AVX2 decoder that must produce the same bits.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "gguf/dequant.hpp"
#include "gguf/types.hpp"

namespace gguf::dequant::detail {

// The decoders read multi-byte fields in host order from little-endian blocks; a big-endian file's
// blocks are converted first (types.hpp's swap_block_fields, the one description of those fields).
static_assert(std::endian::native == std::endian::little, "dequant assumes a little-endian host");

// Decodes `n_blocks` consecutive little-endian blocks into n_blocks * block_size floats.
using DecodeFn = void (*)(const std::byte* blocks, std::size_t n_blocks, float* out);

// iq1m: IQ1_M's f16 scale, whose four nibbles sit in the top of the four uint16 at `offset`.
// ue4m3: NVFP4's unsigned E4M3 sub-block scale, one byte.
enum class ScaleFormat : std::uint8_t { f16, e8m0, iq1m, ue4m3 };

// A per-block scale that statistics report: its name as ggml's block struct spells it ("d", "dmin",
// "m", "e"), where it sits in the block and how it is encoded; `count` > 1 for an array of one-byte
// scales (NVFP4's d[4], one per sub-block), reported together.
struct ScaleField {
    std::string_view name;
    std::uint16_t offset = 0;
    ScaleFormat format = ScaleFormat::f16;
    std::uint8_t count = 1;
};

struct TypeKernels {
    TypeId type{};
    DecodeFn scalar = nullptr;
    DecodeFn avx2 = nullptr;  // nullptr where the scalar decoder is the only one
    std::array<ScaleField, 2> scales{};
    std::uint8_t n_scales = 0;  // 0 for plain numbers

    std::span<const ScaleField> scale_fields() const { return {scales.data(), n_scales}; }
};

std::span<const TypeKernels> float_kernels();
std::span<const TypeKernels> legacy_kernels();
std::span<const TypeKernels> kquant_kernels();
std::span<const TypeKernels> nonlinear_kernels();
std::span<const TypeKernels> iquant_kernels();

// nullptr when `type` has no decoder.
const TypeKernels* find_kernels(std::uint32_t type);

// Whether the AVX2 decoders run (gguf/dequant.hpp).
using dequant::simd_enabled;

// The decoder that runs on this machine.
DecodeFn active_decoder(const TypeKernels& kernels);

// Unaligned loads from block bytes (host order, which the static_assert above makes little-endian).
template <class T>
inline T load_le(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// A block struct copied out of the bytes (no alignment assumed; compilers elide the copy).
template <class Block>
inline Block load_block(const std::byte* p) {
    Block b;
    std::memcpy(&b, p, sizeof b);
    return b;
}

// Reads one block scale (little-endian block) as float.
float read_scale(const std::byte* block, const ScaleField& field);

}  // namespace gguf::dequant::detail
