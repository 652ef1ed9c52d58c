// llama 4's attention temperature tuning (mistral3): queries far into the context are sharpened in steps
// of the original training context.
#pragma once

#include <cstdint>
#include <span>

namespace gguf::forward::ops {

// The factor of the queries at `position`, as llama.cpp's llm_graph_input_attn_temp computes it:
// 1 + scale * ln(floor(position / interval) + 1), the quotient and floor in float, the rest in double,
// rounded to float.
float attention_temperature(std::int64_t position, float scale, std::uint64_t interval);

// x[t] *= attention_temperature(positions[t], scale, interval) over rows of `width` values.
void scale_by_temperature(std::span<float> x, std::size_t width, std::span<const std::int64_t> positions, float scale,
                          std::uint64_t interval);

}  // namespace gguf::forward::ops
