// cuBLAS behind one small wrapper: every matrix product of the pass (projections, attention scores
// and context) goes through here, so the compute precision is decided in one place.
#pragma once

#include <cublas_v2.h>

#include <cstdint>

#include "gguf/cuda/forward.hpp"

namespace gguf::cuda {

class Blas {
public:
    Blas(cudaStream_t stream, Precision precision);
    ~Blas();
    Blas(const Blas&) = delete;
    Blas& operator=(const Blas&) = delete;

    Precision precision() const { return precision_; }

    // A device buffer of its own for cuBLAS's scratch. Products captured into a CUDA graph need one:
    // without it cuBLAS allocates a new workspace for every graph.
    void set_workspace(void* workspace, std::uint64_t bytes);

    // out[t][o] = sum_i x[t][i] * w[o][i]  (+ beta * out), row-major: x [T][n_in], w [n_out][n_in]
    // (a ggml weight, ne[0] = n_in), out [T] rows of stride ld_out.
    void linear(const float* x, std::int64_t T, std::int64_t n_in, const float* w, std::int64_t n_out, float* out,
                std::int64_t ld_out, float beta = 0.0f);

    // The column-major strided-batched product C = alpha op(A) op(B) + beta C, `batch` times, for the
    // attention products (see kernels/attention.cu for the layouts).
    void strided_batched(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                         const float* a, std::int64_t lda, std::int64_t stride_a, const float* b, std::int64_t ldb,
                         std::int64_t stride_b, float beta, float* c, std::int64_t ldc, std::int64_t stride_c,
                         std::int64_t batch);

private:
    cublasHandle_t handle_ = nullptr;
    Precision precision_;
};

}  // namespace gguf::cuda
