#include "launch.cuh"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

namespace gguf::cuda {
namespace {

int current_device() {
    int device = 0;
    GGUF_CUDA_CHECK(cudaGetDevice(&device));
    return device;
}

std::mutex cache_mutex;

}  // namespace

int multiprocessor_count() {
    static std::map<int, int> counts;
    const int device = current_device();
    const std::lock_guard lock(cache_mutex);
    if (auto it = counts.find(device); it != counts.end()) return it->second;
    int count = 0;
    GGUF_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
    return counts[device] = std::max(1, count);
}

int resident_blocks(const void* kernel, int threads) {
    static std::map<std::tuple<int, const void*, int>, int> blocks;
    const int device = current_device();
    const std::lock_guard lock(cache_mutex);
    const auto key = std::tuple(device, kernel, threads);
    if (auto it = blocks.find(key); it != blocks.end()) return it->second;
    int resident = 0;
    GGUF_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&resident, kernel, threads, 0));
    return blocks[key] = std::max(1, resident);
}

}  // namespace gguf::cuda
