// The forward pass interface. The CPU reference (Eigen, this library) and the CUDA pass (cuda/)
// implement it, so checks, commands and tests can use either and compare them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/trace.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward {

// Logits of consecutive positions, row-major [n_tokens][n_vocab].
struct Logits {
    std::uint64_t n_tokens = 0;
    std::uint64_t n_vocab = 0;
    std::vector<float> values;

    std::span<const float> row(std::uint64_t i) const { return {values.data() + i * n_vocab, n_vocab}; }
};

class Forward {
public:
    virtual ~Forward() = default;

    virtual const model::ModelSpec& spec() const = 0;
    virtual std::string_view backend() const = 0;  // "cpu", "cuda:0", ...

    // Appends `tokens` after the tokens already evaluated (the KV cache) and returns the logits of
    // every new position. Token ids are used exactly as given (no BOS is added). A trace, when given,
    // receives the activations of every layer and op of this call.
    virtual Result<Logits> evaluate(std::span<const std::int32_t> tokens, Trace* trace = nullptr) = 0;

    // Forgets the KV cache; the next evaluate() starts at position 0.
    virtual void reset() = 0;
    virtual std::uint64_t position() const = 0;
};

}  // namespace gguf::forward
