// The model's weights on the device. Matrices are uploaded in the file's encoding (blocks as they are;
// a big-endian file's blocks byte-swapped on the host), packed per layer into one "layer image" each;
// norms and biases are decoded on the host by the CPU decoders and uploaded as float32.
//
// Resident: every layer image stays on the device, and quantized matrices the memory budget still has
// room for are also kept dequantized (float32) for the batched cuBLAS products. Streamed: two layer
// slots on the device; acquire(l) makes layer l's image available to the compute stream while the
// next layer is copied into the other slot (through pinned staging buffers on a copy stream).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device_buffer.hpp"
#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/program.hpp"
#include "memory_budget.hpp"

namespace gguf::cuda {

// A weight matrix as the kernels see it: [n_out] rows of n_in values of `type`.
struct MatrixRef {
    std::uint32_t type = 0;
    std::uint64_t n_in = 0, n_out = 0;
    std::uint64_t row_bytes = 0;
    const std::byte* blocks = nullptr;  // device, little-endian blocks
    const float* decoded = nullptr;     // device float32 copy [n_out][n_in], or nullptr
};

// The weights of one scope of the program (the globals or a layer) on the device, indexed as the
// program's ops index the scope's WeightSet.
struct ScopeRefs {
    std::vector<MatrixRef> matrices;
    std::vector<const float*> vectors;  // float32 on the device

    const float* vector(int index) const { return index < 0 ? nullptr : vectors[static_cast<std::size_t>(index)]; }
};

// Where one matrix's bytes come from and where they go.
struct MatrixSource {
    std::string name;
    std::uint32_t type = 0;
    std::uint64_t n_in = 0, n_out = 0;
    TensorView view;
    std::uint64_t offset = 0;  // in its image, 256-byte aligned
    bool product = false;      // a Linear op multiplies by it (worth a decoded copy for batched products)
    // For a block of rows of a fused tensor: the info `view` points to, kept alive with the layout.
    std::shared_ptr<const TensorInfo> rows_of;
};

struct ImageLayout {
    std::vector<MatrixSource> matrices;
    std::uint64_t bytes = 0;
};

// The host side of the weights: what goes where, before anything is allocated.
struct WeightLayout {
    ImageLayout globals;                   // the globals' matrices, in binding order
    std::vector<ImageLayout> layers;       // each layer's matrices, in binding order
    std::vector<float> vectors;            // every bound vector, 64-float aligned
    std::vector<std::int64_t> global_vectors;              // offsets into `vectors`, in binding order
    std::vector<std::vector<std::int64_t>> layer_vectors;  // the same per layer
    std::uint64_t n_vocab = 0;
    ByteOrder order = ByteOrder::little;

    std::uint64_t layer_bytes() const;      // all layer images
    std::uint64_t max_layer_bytes() const;  // the largest
    std::uint64_t largest_matrix_values() const;
};

// Lays out the weights the architecture's builder bound (the tensors, shapes and checks of the CPU
// pass, so both passes accept and refuse the same files) and refuses types without a GPU decoder.
Result<WeightLayout> describe_weights(const Container& model, const forward::Architecture& arch);

class DeviceWeights {
public:
    // Allocates from `budget` and uploads. `streamed` selects two layer slots instead of every layer;
    // in resident mode, quantized matrices are also kept decoded while `decoded_budget` lasts.
    DeviceWeights(WeightLayout layout, bool streamed, std::uint64_t decoded_budget, MemoryBudget& budget,
                  cudaStream_t compute);
    ~DeviceWeights();
    DeviceWeights(const DeviceWeights&) = delete;
    DeviceWeights& operator=(const DeviceWeights&) = delete;

    bool streamed() const { return streamed_; }
    std::uint64_t resident_bytes() const { return resident_bytes_; }
    std::uint64_t decoded_bytes() const { return decoded_bytes_; }
    std::uint64_t slot_bytes() const { return streamed_ ? slots_[0].bytes() : 0; }

    // The globals' weights (always resident), valid until make_room() runs.
    ScopeRefs globals() const;

    // Layer l's weights for work enqueued on the compute stream next; release(l) after that work is
    // enqueued. Streamed: uploads layer l if it is not in a slot yet and starts copying the next layer.
    ScopeRefs acquire(std::uint64_t layer);
    void release(std::uint64_t layer);

    // Frees decoded copies (the most recently planned first) until `bytes` more fit in the budget;
    // false when even that is not enough.
    bool make_room(std::uint64_t bytes);

private:
    void upload_image(const ImageLayout& image, std::byte* device, cudaStream_t stream);
    void start_upload(std::uint64_t layer, int slot);
    MatrixRef matrix(const MatrixSource& m, const std::byte* image) const;
    const float* vector(std::int64_t offset) const;
    DeviceBuffer<float> keep_decoded(const MatrixSource& m, const std::byte* image, std::uint64_t& decoded_budget);

    WeightLayout layout_;
    bool streamed_;
    MemoryBudget& budget_;
    cudaStream_t compute_;
    Stream copy_;
    std::array<PinnedBuffer, 2> staging_;
    std::array<std::unique_ptr<Event>, 2> staging_done_;
    int next_staging_ = 0;

    DeviceBuffer<float> vectors_;
    DeviceBuffer<std::byte> globals_;
    std::vector<DeviceBuffer<std::byte>> layer_images_;             // resident
    std::vector<std::vector<DeviceBuffer<float>>> decoded_;         // resident: [layer][matrix], may be empty
    std::vector<DeviceBuffer<float>> decoded_globals_;              // [matrix], may be empty
    std::vector<std::pair<std::uint64_t, std::size_t>> decoded_order_;  // (layer, or n_layer for the globals; matrix) as planned

    std::array<DeviceBuffer<std::byte>, 2> slots_;                  // streamed
    std::array<std::int64_t, 2> slot_layer_{-1, -1};
    std::array<std::unique_ptr<Event>, 2> slot_ready_, slot_free_;
    std::int64_t current_slot_ = -1;

    std::uint64_t resident_bytes_ = 0;
    std::uint64_t decoded_bytes_ = 0;
};

}  // namespace gguf::cuda
