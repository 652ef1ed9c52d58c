// Where tensor values come from: the seeded random generator, or a folder of .npy files (trained
// weights, named by GGUF tensor name), with the Hugging Face -> llama.cpp Q/K row permutation when
// asked for.
#pragma once

#include <map>
#include <span>

#include "npy.hpp"
#include "tensor_plan.hpp"

namespace gguf::samples::detail {

class WeightSource {
public:
    // Checks up front that the folder holds exactly the model's tensors, each with the right shape.
    static Result<WeightSource> open(const ModelConfig& config, const std::vector<PlannedTensor>& tensors);

    // Rows [first_row, first_row + out.size() / row_length) of `tensor`, as float32.
    Result<void> rows(const PlannedTensor& tensor, std::uint64_t first_row, std::span<float> out);

private:
    explicit WeightSource(const ModelConfig& config) : config_(&config) {}

    const ModelConfig* config_;
    std::map<std::string, NpyArray, std::less<>> arrays_;
};

// convert_hf_to_gguf.py's LlamaModel.permute, as an index map: the Hugging Face row that becomes row
// `row` of a llama.cpp q or k projection with `n_heads` heads of `head_dim` rows.
std::uint64_t hf_row_for_llama_row(std::uint64_t row, std::uint64_t head_dim);

}  // namespace gguf::samples::detail
