// Reference quantizers, for test fixtures and sample models: floats in, ggml blocks out. They need not
// produce ggml's bytes (ggml's quantizers search differently), but every block they write is valid
// and decodes (with dequant.hpp, bit-identical to ggml) to values whose RMSE is within 10% of what
// ggml's own quantizer achieves on the same data (tests/reference checks both).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gguf/error.hpp"

namespace gguf::dequant {

// Whether quantize() can produce `type`: F32, F16, BF16, Q1_0, Q2_0, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K,
// Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4, NVFP4, TQ1_0, TQ2_0, and the code-book types IQ1_S, IQ1_M, IQ2_XXS,
// IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S (without an importance matrix, and with a simpler search than ggml's:
// their RMSE bound is looser, see tests/reference/dequant_quantizer_test.cpp).
bool can_quantize(std::uint32_t type);

// Encodes rows of `row_length` values as `type`, little-endian (ggml's in-memory layout, what
// gguf::Writer takes). `values.size()` must be a multiple of `row_length`, and `row_length` a
// multiple of the type's block size. F16 and BF16 round to nearest even, as ggml does; F32/F16/BF16
// keep NaN and infinity, while a quantized type refuses a non-finite value (no block can hold it).
// Scales beyond the f16 range saturate at the largest finite half. Errors: invalid_argument.
Result<std::vector<std::byte>> quantize(std::uint32_t type, std::span<const float> values, std::uint64_t row_length);

}  // namespace gguf::dequant
