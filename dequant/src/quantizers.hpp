// The reference quantizers of each family, as a table like kernels.hpp's decoders.
#pragma once

#include <cstddef>
#include <span>

#include "gguf/types.hpp"

namespace gguf::dequant::detail {

// Encodes n_blocks * block_size finite floats as n_blocks little-endian blocks.
using QuantizeFn = void (*)(const float* values, std::size_t n_blocks, std::byte* out);

struct TypeQuantizer {
    TypeId type{};
    QuantizeFn quantize = nullptr;
};

std::span<const TypeQuantizer> legacy_quantizers();
std::span<const TypeQuantizer> kquant_quantizers();
std::span<const TypeQuantizer> nonlinear_quantizers();
std::span<const TypeQuantizer> ternary_quantizers();
std::span<const TypeQuantizer> iquant_quantizers();

}  // namespace gguf::dequant::detail
