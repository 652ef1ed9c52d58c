// One variant of the panel product, named by GGUF_FORWARD_KERNEL_VARIANT (generic or avx2) and compiled
// with that variant's instruction set (CMakeLists.txt). In the avx2 variant Eigen's namespace is renamed,
// so none of its template instantiations is shared with (and chosen by the linker for) code compiled for
// the baseline instruction set. This file uses raw pointers and Eigen only.
#define GGUF_FORWARD_CONCAT2(a, b) a##b
#define GGUF_FORWARD_CONCAT(a, b) GGUF_FORWARD_CONCAT2(a, b)
#ifndef GGUF_FORWARD_KERNEL_VARIANT
#define GGUF_FORWARD_KERNEL_VARIANT generic
#else
#define Eigen GGUF_FORWARD_CONCAT(Eigen_gguf_, GGUF_FORWARD_KERNEL_VARIANT)
#endif

#include <Eigen/Core>

#include "panel_product.hpp"

namespace gguf::forward::kernels {

void GGUF_FORWARD_CONCAT(panel_product_, GGUF_FORWARD_KERNEL_VARIANT)(const float* x, std::int64_t n_tokens,
                                                                      std::int64_t n_in, const float* w,
                                                                      std::int64_t rows, float* out,
                                                                      std::int64_t out_stride) {
    using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::Map<const Matrix> input(x, n_tokens, n_in);   // [T][n_in]
    const Eigen::Map<const Matrix> weights(w, rows, n_in);     // [rows][n_in]
    Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>> output(out, n_tokens, rows, Eigen::OuterStride<>(out_stride));
    output.noalias() = input * weights.transpose();            // [T][rows]
}

}  // namespace gguf::forward::kernels
