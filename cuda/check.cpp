#include "check.hpp"

#include <filesystem>

namespace gguf::cuda {

void fail(const std::string& what, const char* call, const char* file, int line) {
    throw CudaFailure(what + " (in " + call + ", " + std::filesystem::path(file).filename().string() + ":" +
                      std::to_string(line) + ")");
}

}  // namespace gguf::cuda
