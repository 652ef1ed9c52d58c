// One error check for every CUDA runtime and cuBLAS call: a failure throws CudaFailure naming the call,
// file and line. Kernels and launchers throw; the public entry points (make_cuda_forward, evaluate,
// dequantize) catch it and return an Error, so nothing above this library sees an exception.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace gguf::cuda {

class CudaFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& what, const char* call, const char* file, int line);

inline void check(cudaError_t status, const char* call, const char* file, int line) {
    if (status != cudaSuccess)
        fail(std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status), call, file, line);
}

inline void check(cublasStatus_t status, const char* call, const char* file, int line) {
    if (status != CUBLAS_STATUS_SUCCESS) fail(std::string("cuBLAS: ") + cublasGetStatusString(status), call, file, line);
}

}  // namespace gguf::cuda

// Wraps a call that returns cudaError_t or cublasStatus_t; after a kernel launch, wrap
// cudaGetLastError() (llm.c's cudaCheck).
#define GGUF_CUDA_CHECK(call) ::gguf::cuda::check((call), #call, __FILE__, __LINE__)
