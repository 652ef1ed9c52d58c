// The memory llama.cpp needs to run a model, from the header alone: the weights on each device, layer
// by layer as llama.cpp assigns them (the input layer on the CPU, the last n_gpu_layers layers and the
// output layer on the GPUs, split in proportion to their memory), the KV cache of each layer (grouped-
// query attention, quantized cache types, sliding-window and shared layers), the state of recurrent
// layers, an estimate of the compute buffers, and the largest context
// that fits the memory given. docs/deploy.md says how each number is computed and how well it agrees
// with what llama.cpp reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::deploy {

struct FitOptions {
    std::uint32_t n_ctx = 0;       // 0: the training context ({arch}.context_length)
    std::uint32_t n_batch = 2048;  // logical batch (llama.cpp's default)
    std::uint32_t n_ubatch = 512;  // physical batch: the compute buffers are sized for it
    std::uint32_t kv_type = 1;     // ggml type id of the K and V cache: F16 (1), Q8_0 (8), Q4_0 (2), F32 (0)
    std::vector<std::uint64_t> gpu_memory;      // bytes per GPU; empty: CPU only
    std::optional<std::uint64_t> host_memory;   // bytes of system memory, for the largest context on the CPU
    std::int32_t n_gpu_layers = -1;             // -1: every layer and the output layer when GPUs are given
    bool flash_attention = true;                // llama.cpp's "auto" turns it on where supported
    // Sliding-window layers keep the full context (llama.cpp's --swa-full; its tools default to off,
    // keeping only the window plus one ubatch; the C API's llama_context_default_params() turns it on).
    bool swa_full = false;
};

struct LayerPlacement {
    std::int64_t layer = 0;    // -1 input (embedding), n_layer the output layer
    int device = -1;           // -1 CPU, else the GPU's index
    std::uint64_t weight_bytes = 0;
    std::uint64_t kv_bytes = 0;
    std::uint64_t recurrent_state_bytes = 0;
};

struct DeviceMemory {
    std::string name;          // "CPU", "GPU0"...
    std::uint64_t weights = 0;
    std::uint64_t kv_cache = 0;
    std::uint64_t recurrent_state = 0;
    std::uint64_t compute = 0;  // estimate
    std::optional<std::uint64_t> capacity;

    std::uint64_t total() const { return weights + kv_cache + recurrent_state + compute; }
    bool fits() const { return !capacity || total() <= *capacity; }
};

struct FitReport {
    std::string architecture;
    std::uint64_t n_layer = 0;
    std::uint32_t n_ctx = 0;           // after llama.cpp's padding to 256 cells
    std::uint32_t n_ctx_train = 0;
    std::uint32_t n_ubatch = 0;
    std::uint32_t kv_type = 1;
    std::uint64_t weights = 0;         // all devices
    std::uint64_t kv_cache = 0;
    std::uint64_t kv_k = 0, kv_v = 0;  // of which K and V
    std::uint64_t recurrent_state = 0; // the state of recurrent (SSM, delta-net) layers, one sequence
    std::uint64_t compute = 0;         // estimate, all devices
    std::vector<LayerPlacement> layers;
    std::vector<DeviceMemory> devices;  // CPU first
    // The largest context (multiple of 256, at most the training context) for which every device with a
    // capacity fits; nullopt when no capacity is given, 0 when not even 256 cells fit.
    std::optional<std::uint32_t> max_context;
    std::vector<std::string> notes;  // what the numbers leave out

    bool fits() const;
};

// Fails (invalid_argument) when the hyperparameters the sizes need cannot be read, or the architecture
// has recurrent state or other memory this model of llama.cpp does not cover.
Result<FitReport> plan_fit(const Container& model, const FitOptions& options);

// "8 GiB", "512MiB", "2.5G", "1000000000": bytes; nullopt for anything else.
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace gguf::deploy
