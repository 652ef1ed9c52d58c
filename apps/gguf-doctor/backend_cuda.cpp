// --gpu: the CUDA forward pass (cuda/), built when this build has gguf_cuda.
#include "forward_setup.hpp"
#include "gguf/cuda/forward.hpp"

namespace gguf::cli {

Result<std::unique_ptr<forward::Forward>> make_cuda_backend(const Container& model, const BackendOptions& options) {
    cuda::CudaOptions cuda;
    cuda.device = options.device;
    cuda.memory_limit_bytes = options.gpu_memory_limit_mb << 20;
    auto pass = cuda::make_cuda_forward(model, cuda);
    if (!pass) return pass.error();
    return std::unique_ptr<forward::Forward>(std::move(*pass));
}

}  // namespace gguf::cli
