// The inner product of the weight multiplications: a panel of weight rows against every token.
// Compiled once for the baseline instruction set and once for AVX2+FMA (x86-64); panel_product() picks
// what the running CPU supports.
#pragma once

#include <cstdint>

namespace gguf::forward {

// out[t * out_stride + r] = sum_i x[t * n_in + i] * w[r * n_in + i], for t < n_tokens, r < rows.
using PanelProduct = void (*)(const float* x, std::int64_t n_tokens, std::int64_t n_in, const float* w,
                              std::int64_t rows, float* out, std::int64_t out_stride);

PanelProduct panel_product();

namespace kernels {
void panel_product_generic(const float* x, std::int64_t n_tokens, std::int64_t n_in, const float* w, std::int64_t rows,
                           float* out, std::int64_t out_stride);
void panel_product_avx2(const float* x, std::int64_t n_tokens, std::int64_t n_in, const float* w, std::int64_t rows,
                        float* out, std::int64_t out_stride);
}  // namespace kernels

}  // namespace gguf::forward
