// Float rows to a tensor type's bytes (little-endian, ggml's layout). F32, F16 and BF16 are encoded
// here; quantized types go through gguf_dequant's reference quantizers when this build has them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace gguf::samples::detail {

bool can_encode(std::uint32_t type);

// `in` holds whole rows of `row_length` values (a multiple of the type's block size); `out` is
// exactly their encoded size. Preconditions are the caller's (checked by validate and plan).
// False when a quantizer refuses the values (only NaN or infinity in the input can cause that).
bool encode_rows(std::uint32_t type, std::span<const float> in, std::uint64_t row_length, std::span<std::byte> out);

std::uint16_t fp32_to_fp16(float f);  // round to nearest even, like ggml
std::uint16_t fp32_to_bf16(float f);  // round to nearest even; NaN stays a (quiet) NaN, like ggml
float fp16_to_fp32(std::uint16_t h);

}  // namespace gguf::samples::detail
