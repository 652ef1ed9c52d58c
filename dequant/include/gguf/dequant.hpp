// Numbers from tensor bytes: dequantizers bit-identical to ggml's to_float, for every supported type,
// in either byte order. One streaming, multi-threaded path; nothing here allocates a whole model.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gguf/byte_order.hpp"
#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::dequant {

// True when `type` has a dequantizer here. Unsupported types are reported as such, never guessed.
bool is_supported(std::uint32_t type);

// Decodes whole blocks: `blocks.size()` must be a multiple of the type's block bytes and `out.size()`
// the matching number of values. `order` is the byte order of the file the blocks came from.
// Precondition violations throw std::invalid_argument (a caller bug, not bad input).
void decode_blocks(std::uint32_t type, std::span<const std::byte> blocks, ByteOrder order, std::span<float> out);

// Rows [first_row, first_row + n_rows) of a tensor, as float32 (row length = ne[0]).
Result<void> decode_rows(const TensorView& view, std::uint64_t first_row, std::uint64_t n_rows, std::span<float> out);

// A whole tensor (for dump and tests; statistics never materialize a tensor). threads <= 0: all cores.
Result<std::vector<float>> to_float(const TensorView& view, int threads = 0);

// Whether AVX2 code paths run: the CPU has AVX2 and F16C, and GGUF_DOCTOR_SIMD is not "0" (the
// switch every vectorized path of the project obeys).
bool simd_enabled();

}  // namespace gguf::dequant
