// The CPU reference forward pass (Eigen, float32). Weights are read from the mapped file and decoded
// panel by panel as they are multiplied, so memory stays near the file size plus `keep_decoded_bytes`.
#pragma once

#include <cstdint>
#include <memory>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/forward.hpp"

namespace gguf::forward {

struct CpuOptions {
    int threads = 0;  // <= 0: every core
    // Decoded float32 weight matrices kept between calls, up to this many bytes. Off by default: for one
    // token at a time (generation) decoding the quantized panels again reads less memory than reading
    // kept float32 copies (Qwen2.5-0.5B Q8_0, logit sanity: 8.3 s without, 10.5 s with 2 GiB kept).
    // F32 weights are read in place either way.
    std::uint64_t keep_decoded_bytes = 0;
    // The llama.cpp context size the pass stands for, where llama.cpp's graph depends on it (LongRoPE's
    // long factors beyond the original training context); 0: a context within the original one.
    std::uint64_t context_length = 0;
};

// A CPU pass over `model`, which must outlive it. One pass serves one caller at a time (it holds the KV
// cache); it runs its own threads inside each call. Fails with a message naming the key or tensor when
// the architecture is not modelled or the file lacks what it needs.
Result<std::unique_ptr<Forward>> make_cpu_forward(const Container& model, const CpuOptions& options = {});

}  // namespace gguf::forward
