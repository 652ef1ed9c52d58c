// The block layouts and their scalar decoders (gguf/blocks/, shared with the GPU kernels), seen from
// inside the dequant module, and the CPU's scalar decoder built from them: the oracle that the AVX2
// decoders, the GPU and the tests are held to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gguf/blocks/iquants.hpp"
#include "gguf/blocks/kquants.hpp"
#include "gguf/blocks/legacy.hpp"
#include "gguf/blocks/nonlinear.hpp"
#include "gguf/blocks/ternary.hpp"

namespace gguf::dequant::detail {

using namespace ::gguf::blocks;

// Decodes `n_blocks` little-endian blocks of `Block` with its shared scalar decoder.
template <class Block>
void decode_scalar(const std::byte* in, std::size_t n_blocks, float* out) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(in);
    for (std::size_t i = 0; i < n_blocks; ++i, b += Block::bytes) {
        for (int g = 0; g < Block::values / 8; ++g, out += 8) {
            float v[8];
            Block::decode8(b, g, v);
            std::memcpy(out, v, sizeof v);
        }
    }
}

}  // namespace gguf::dequant::detail
