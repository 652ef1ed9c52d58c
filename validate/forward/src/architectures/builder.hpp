// What every architecture builder uses: the binder that finds and checks tensors, and the scope a
// builder writes one section of the program into. Builders live beside this file, one per
// architecture (or per family of architectures whose llama.cpp graphs differ only in optional tensors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"
#include "gguf/forward/pass_params.hpp"
#include "gguf/forward/program.hpp"
#include "gguf/model/spec.hpp"

namespace gguf::forward::architectures {

// Finds tensors by name, checks shape, data and type, and binds them into a WeightSet. Remembers the
// first problem; its message names the tensor.
class Binder {
public:
    explicit Binder(const Container& model) : model_(model) {}

    // A matrix of ne = [n_in, n_out]; -1 when missing (an error) or misshapen.
    int matrix(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out);
    // The n_expert matrices [n_in, n_out] of a 3-D expert tensor of ne = [n_in, n_out, n_expert], bound
    // as consecutive views (expert e at the returned index + e); -1 when missing or misshapen.
    int experts(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out, std::uint64_t n_expert);
    // Rows [first, first + count) of a matrix of ne = [n_in, n_out], bound as a matrix of `count` rows
    // (one part of a fused tensor); -1 when missing or misshapen.
    int matrix_rows(WeightSet& set, const std::string& name, std::uint64_t n_in, std::uint64_t n_out,
                    std::uint64_t first, std::uint64_t count);
    // A vector of n values; -1 when absent (an error when required) or misshapen.
    int vector(WeightSet& set, const std::string& name, std::uint64_t n, bool required);
    // Values [first, first + count) of a vector of n values (one part of a fused bias).
    int vector_part(WeightSet& set, const std::string& name, std::uint64_t n, std::uint64_t first, std::uint64_t count,
                    bool required);
    // The n_expert rows of a required 2-D tensor of ne = [n, n_expert] (per-expert biases), decoded and
    // bound as n_expert vectors of n values (expert e at the returned index + e); -1 when missing or misshapen.
    int expert_vectors(WeightSet& set, const std::string& name, std::uint64_t n, std::uint64_t n_expert);
    // A required tensor of ggml shape `shape` decoded to float32 as a vector (row-major, ne[0] fastest):
    // small tables an op reads whole, such as conv taps. -1 when missing or misshapen.
    int values(WeightSet& set, const std::string& name, const std::vector<std::uint64_t>& shape);

    bool has(const std::string& name) const { return model_.find_tensor(name) != nullptr; }
    // Refuses the file for a reason of the builder's (a variant the program does not model).
    void reject(const std::string& message);
    const std::optional<Error>& error() const { return error_; }

private:
    const TensorInfo* find(const std::string& name, const std::vector<std::uint64_t>& shape, bool required);
    int decoded(WeightSet& set, const std::string& name, const std::vector<std::uint64_t>& shape, bool required);
    void fail(const std::string& name, const std::string& what);

    const Container& model_;
    std::optional<Error> error_;
};

// One section of the program being built (the input, a layer, the output) and the weights it reads.
struct Scope {
    std::vector<Op>& ops;
    WeightSet& weights;
    std::string prefix;  // of its tensor names: "blk.N." for a layer, "" for the globals

    std::string tensor(std::string_view suffix) const { return prefix + std::string(suffix); }
};

// The state of one build: what the builder reads and what it fills.
struct Build {
    const Container& model;
    const model::ModelSpec& spec;
    const PassParams& params;
    Binder bind;
    Architecture arch;

    Scope input() { return {arch.program.input, arch.weights.globals, ""}; }
    Scope output() { return {arch.program.output, arch.weights.globals, ""}; }
    Scope layer(std::uint64_t il) {
        return {arch.program.layers[il].ops, arch.weights.layers[il], "blk." + std::to_string(il) + "."};
    }
};

using Builder = void (*)(Build&);

}  // namespace gguf::forward::architectures
