// The boundary between gguf-doctor and its CUDA module (cuda_backend_module.cpp, built as a shared
// library beside the executable): one C entry point, looked up by name after dlopen. Both sides are
// built together from the same sources, so the C++ types passed through it are the same.
#pragma once

#include <memory>

#include "forward_setup.hpp"

namespace gguf::cli {

using CudaBackendResult = Result<std::unique_ptr<forward::Forward>>;

// The entry point's name and signature.
inline constexpr const char* kCudaBackendEntryPoint = "gguf_doctor_make_cuda_backend";
using CudaBackendEntryPoint = void (*)(const Container*, const BackendOptions*, CudaBackendResult*);

}  // namespace gguf::cli
