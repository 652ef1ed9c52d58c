// --gpu: the CUDA forward pass (cuda/) as a module that gguf-doctor loads only when asked for it.
// Linking cuBLAS into the executable cost every command, `--help` included, 130 ms and 220 MB of
// resident memory while the dynamic loader relocated it; loaded on demand it costs only `--gpu` runs.
#include "cuda_backend.hpp"
#include "gguf/cuda/forward.hpp"

extern "C" __attribute__((visibility("default"))) void gguf_doctor_make_cuda_backend(
    const gguf::Container* model, const gguf::cli::BackendOptions* options, gguf::cli::CudaBackendResult* out) {
    gguf::cuda::CudaOptions cuda;
    cuda.device = options->device;
    cuda.memory_limit_bytes = options->gpu_memory_limit_mb << 20;
    cuda.precision = options->gpu_precision == "tf32" ? gguf::cuda::Precision::tf32 : gguf::cuda::Precision::fp32;
    auto pass = gguf::cuda::make_cuda_forward(*model, cuda);
    if (!pass) {
        *out = pass.error();
        return;
    }
    *out = std::unique_ptr<gguf::forward::Forward>(std::move(*pass));
}
