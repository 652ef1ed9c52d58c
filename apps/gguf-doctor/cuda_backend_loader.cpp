// make_cuda_backend: loads the CUDA module (cuda_backend_module.cpp) on first use. It is searched
// beside the executable (the build tree) and in the installed library folder; a machine without the
// CUDA libraries gets an error naming what could not be loaded, and every other command still runs.
#include <dlfcn.h>

#include <array>
#include <filesystem>
#include <string>
#include <system_error>

#include "cuda_backend.hpp"

namespace gguf::cli {

namespace {

std::filesystem::path executable_dir() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path{} : self.parent_path();
}

// The module's entry point, or the reason it cannot be used. The module stays loaded for the life of
// the process: the passes it creates run its code.
Result<CudaBackendEntryPoint> load_module() {
    const std::filesystem::path dir = executable_dir();
    const std::array<std::filesystem::path, 2> candidates{dir / GGUF_DOCTOR_CUDA_MODULE,
                                                          dir / GGUF_DOCTOR_CUDA_MODULE_INSTALLED};
    std::string reasons;
    for (const auto& path : candidates) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) continue;
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            reasons += std::string(reasons.empty() ? "" : "; ") + dlerror();
            continue;
        }
        if (void* entry = dlsym(handle, kCudaBackendEntryPoint)) return reinterpret_cast<CudaBackendEntryPoint>(entry);
        reasons += (reasons.empty() ? "" : "; ") + path.string() + " has no " + kCudaBackendEntryPoint;
    }
    if (reasons.empty())
        reasons = "the CUDA module " + std::string(GGUF_DOCTOR_CUDA_MODULE) + " is not installed beside " + dir.string();
    return Error{ErrorCode::invalid_argument, 0, "--gpu: cannot load the CUDA forward pass: " + reasons, ""};
}

}  // namespace

Result<std::unique_ptr<forward::Forward>> make_cuda_backend(const Container& model, const BackendOptions& options) {
    static const Result<CudaBackendEntryPoint> entry = load_module();
    if (!entry) return entry.error();
    CudaBackendResult result = Error{ErrorCode::invalid_argument, 0, "--gpu: the CUDA module returned nothing", ""};
    (*entry)(&model, &options, &result);
    return result;
}

}  // namespace gguf::cli
