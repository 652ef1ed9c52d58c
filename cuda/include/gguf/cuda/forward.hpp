// The CUDA forward pass: the Forward interface of validate/forward, computed on one GPU. Weights are
// uploaded in the file's encoding and dequantized on the device (bit-identical to the CPU decoders);
// the matrix products run through cuBLAS in FP32 (docs/gpu.md states the precision of every op).
// Models that do not fit in the memory allowed are run layer by layer, streaming each layer's weights.
#pragma once

#include <cstdint>
#include <memory>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"

namespace gguf::cuda {

// The arithmetic of the matrix products (cuBLAS compute type). Both accumulate in FP32.
enum class Precision {
    fp32,  // CUBLAS_COMPUTE_32F with the default math mode: FP32 multiplies (no TF32). The default.
    tf32,  // CUBLAS_COMPUTE_32F_FAST_TF32: operands rounded to TF32 (10-bit mantissa) on the tensor cores.
};

struct CudaOptions {
    int device = 0;
    // Device memory the pass may use, in bytes; 0: what the device has free. Below what the whole
    // model needs, the weights are streamed layer by layer.
    std::uint64_t memory_limit_bytes = 0;
    Precision precision = Precision::fp32;
    // Single-token steps (generation) run as one CUDA graph each (cuda/step_graph.hpp): the same kernels
    // with the same arguments, without the host's launch gaps between them. false: launched one by one.
    // Not used for streamed weights or mixture-of-experts models, whose steps wait on the host.
    // Off by default until its GPU test (tests/cuda/forward_test.cpp) and benchmark have run on a GPU:
    // the code was written in a session that got no GPU machine (bench/RESULTS.md).
    bool step_graphs = false;
    // The context llama.cpp would run with, where the graph depends on it (LongRoPE's long or short
    // factors); 0: within the original training context. As CpuOptions::context_length.
    std::uint64_t context_length = 0;
};

// How the pass placed the model in device memory.
struct MemoryPlan {
    std::uint64_t budget_bytes = 0;           // what the pass may use
    std::uint64_t weight_bytes = 0;           // all weights in the file's encoding
    bool streamed = false;                    // true: layers are uploaded one at a time per evaluate()
    std::uint64_t resident_weight_bytes = 0;  // weights kept on the device
    std::uint64_t decoded_cache_bytes = 0;    // float32 copies of quantized matrices kept for batched products
    std::uint64_t layer_slot_bytes = 0;       // streamed: bytes of one layer slot (two are allocated)
};

class CudaForward : public forward::Forward {
public:
    virtual MemoryPlan memory_plan() const = 0;
    virtual Precision precision() const = 0;
    // Device time of the last evaluate(), from the token ids' upload to the logits in device memory,
    // without their copy to the caller's memory (CUDA events, summed over chunks; a trace's copies are
    // included). What a caller that keeps logits on the GPU would wait for.
    virtual double last_pass_ms() const = 0;
    // Single-token steps run as a CUDA graph so far, and how many times a graph had to be instantiated
    // (the other steps updated the previous one in place).
    virtual std::uint64_t graph_steps() const = 0;
    virtual std::uint64_t graph_instantiations() const = 0;
};

// A GPU pass over `model`, which must outlive it. Fails with a message (no driver or device, too
// little memory even for streaming, an architecture or tensor the reference pass does not model)
// rather than crashing.
Result<std::unique_ptr<CudaForward>> make_cuda_forward(const Container& model, const CudaOptions& options = {});

}  // namespace gguf::cuda
