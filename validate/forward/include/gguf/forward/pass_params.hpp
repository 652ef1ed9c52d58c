// The constants of a forward pass that llama.cpp derives from metadata beyond the ModelSpec: RoPE's
// frequencies and scaling, the attention scale. Shared by the CPU and GPU passes so both read a file
// the same way.
#pragma once

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/ops.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward {

struct PassParams {
    ops::RopeParams rope;
    float kq_scale = 1.0f;  // 1 / sqrt(head_dim) for the modelled architectures
    float rms_eps = 0.0f;   // attention.layer_norm_rms_epsilon, as float32
};

// Fails (naming the key or tensor) for what the reference pass does not model: RoPE scaling types other
// than none/linear/yarn/longrope, head sizes llama.cpp rejects for the architecture, unmodelled
// architectures. `context_length`: what llama.cpp decides from its context size (LongRoPE's long or
// short factors) is decided as for a llama.cpp context of that many tokens; 0 stands for a context
// within the original training context, where LongRoPE uses its short factors.
Result<PassParams> pass_params(const Container& model, const model::ModelSpec& spec, std::uint64_t context_length = 0);

}  // namespace gguf::forward
