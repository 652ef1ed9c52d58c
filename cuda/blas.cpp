#include "blas.hpp"

#include <limits>

#include "check.hpp"

namespace gguf::cuda {
namespace {

int as_int(std::int64_t v, const char* what) {
    if (v < 0 || v > std::numeric_limits<int>::max())
        fail(std::string(what) + " = " + std::to_string(v) + " is outside cuBLAS's int range", "Blas", __FILE__, __LINE__);
    return static_cast<int>(v);
}

}  // namespace

Blas::Blas(cudaStream_t stream, Precision precision) : precision_(precision) {
    GGUF_CUDA_CHECK(cublasCreate(&handle_));
    GGUF_CUDA_CHECK(cublasSetStream(handle_, stream));
    // The default math mode never uses TF32 for CUBLAS_COMPUTE_32F; the TF32 choice is made per call
    // through the compute type, so the two precisions cannot mix by accident.
    GGUF_CUDA_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
}

Blas::~Blas() {
    if (handle_) cublasDestroy(handle_);
}

void Blas::set_workspace(void* workspace, std::uint64_t bytes) {
    GGUF_CUDA_CHECK(cublasSetWorkspace(handle_, workspace, bytes));
}

void Blas::linear(const float* x, std::int64_t T, std::int64_t n_in, const float* w, std::int64_t n_out, float* out,
                  std::int64_t ld_out, float beta) {
    // Row-major out [T][n_out] is column-major out^T [n_out][T] = W x^T, where row-major W [n_out][n_in]
    // is column-major W^T [n_in][n_out] (hence op T) and row-major x [T][n_in] is column-major x^T.
    strided_batched(true, false, n_out, T, n_in, 1.0f, w, n_in, 0, x, n_in, 0, beta, out, ld_out, 0, 1);
}

void Blas::strided_batched(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                           const float* a, std::int64_t lda, std::int64_t stride_a, const float* b, std::int64_t ldb,
                           std::int64_t stride_b, float beta, float* c, std::int64_t ldc, std::int64_t stride_c,
                           std::int64_t batch) {
    const cublasComputeType_t compute =
        precision_ == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    const cublasOperation_t op_a = transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_b = transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    GGUF_CUDA_CHECK(cublasGemmStridedBatchedEx(
        handle_, op_a, op_b, as_int(m, "m"), as_int(n, "n"), as_int(k, "k"), &alpha, a, CUDA_R_32F, as_int(lda, "lda"),
        stride_a, b, CUDA_R_32F, as_int(ldb, "ldb"), stride_b, &beta, c, CUDA_R_32F, as_int(ldc, "ldc"), stride_c,
        as_int(batch, "batch"), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace gguf::cuda
