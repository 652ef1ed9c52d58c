// The CUDA device as the rest of the toolkit sees it: whether one can be used (and if not, why), and
// GPU dequantization of a tensor (bit-identical to gguf::dequant::to_float; tests and benchmarks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::cuda {

struct DeviceInfo {
    int index = 0;
    std::string name;             // "NVIDIA H100 80GB HBM3"
    int compute_major = 0, compute_minor = 0;
    int multiprocessors = 0;
    std::uint64_t total_bytes = 0;
    std::uint64_t free_bytes = 0;  // when probed
    int driver_version = 0;        // CUDA driver API version, e.g. 13000
    int runtime_version = 0;
};

// Checks that a driver is loaded and device `index` exists and can run this build's kernels. The
// error says which of these failed (no driver, no device, index out of range, too old a GPU), in
// words meant for a user, never a crash.
Result<DeviceInfo> probe_device(int index);

// Decodes a whole tensor on device `index`: its blocks are uploaded as they are (a big-endian file's
// blocks byte-swapped on the host first) and dequantized by the same kernels the forward pass uses.
// Fails for types without a GPU decoder (the same set as dequant::is_supported).
Result<std::vector<float>> dequantize(const TensorView& view, int index = 0);

// The types the GPU decodes: every type gguf::dequant decodes.
bool is_supported(std::uint32_t type);

}  // namespace gguf::cuda
