// The forward pass interface. The CPU reference (Eigen, this library) and the CUDA pass (cuda/)
// implement it, so checks, commands and tests can use either and compare them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/trace.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward {

// Allocates like std::allocator but leaves elements default-initialized: for a float, unwritten, where
// std::vector<float>(n) writes n zeros first. Logits are written in full by a pass, and zero-filling them
// on one thread (300 MB for 512 positions of a 152k vocabulary, every page faulted in) took longer than
// the GPU's whole pass; the pass's own copy faults them in on several threads instead.
template <class T>
struct NoFillAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = NoFillAllocator<U>;
    };
    NoFillAllocator() = default;
    template <class U>
    NoFillAllocator(const NoFillAllocator<U>&) noexcept {}

    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

using LogitValues = std::vector<float, NoFillAllocator<float>>;

// Logits of consecutive positions, row-major [n_tokens][n_vocab].
struct Logits {
    std::uint64_t n_tokens = 0;
    std::uint64_t n_vocab = 0;
    LogitValues values;

    std::span<const float> row(std::uint64_t i) const { return {values.data() + i * n_vocab, n_vocab}; }
};

class Forward {
public:
    virtual ~Forward() = default;

    virtual const model::ModelSpec& spec() const = 0;
    virtual std::string_view backend() const = 0;  // "cpu", "cuda:0", "cuda:0/tf32" (TF32 products), ...

    // Appends `tokens` after the tokens already evaluated (the KV cache) and returns the logits of
    // every new position. Token ids are used exactly as given (no BOS is added). A trace, when given,
    // receives the activations of every layer and op of this call.
    virtual Result<Logits> evaluate(std::span<const std::int32_t> tokens, Trace* trace = nullptr) = 0;

    // Forgets the KV cache; the next evaluate() starts at position 0.
    virtual void reset() = 0;
    virtual std::uint64_t position() const = 0;
};

}  // namespace gguf::forward
