// An importance matrix as llama-imatrix computes it, from our own forward pass: per layer matrix
// "blk.L.<name>.weight", the mean over a prompt's tokens of the square of each input column. ggml's
// IQ1/IQ2 quantizers refuse to work without one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "forward/fixtures.hpp"

namespace gguf::test {

// A fixed pseudo-random prompt of 20 token ids below `n_real_tokens`.
inline std::vector<std::int32_t> prompt_ids(std::uint32_t n_real_tokens) {
    std::vector<std::int32_t> ids;
    std::uint32_t x = 777;
    for (int i = 0; i < 20; ++i) {
        x = x * 1103515245u + 12345u;
        ids.push_back(static_cast<std::int32_t>((x >> 8) % n_real_tokens));
    }
    return ids;
}

// The trace op whose output is the input of a layer matrix (docs/trace.md), by the matrix's name.
inline const char* matrix_input_op(const std::string& matrix) {
    static const std::map<std::string, const char*> ops = {
        {"attn_q", "attn_norm"}, {"attn_k", "attn_norm"}, {"attn_v", "attn_norm"}, {"attn_output", "attn"},
        {"ffn_gate", "ffn_norm"}, {"ffn_up", "ffn_norm"}, {"ffn_down", "ffn_act"}};
    const auto at = ops.find(matrix);
    return at == ops.end() ? nullptr : at->second;
}

inline std::map<std::string, std::vector<float>> importance_matrix(const std::filesystem::path& model_path,
                                                                   const std::vector<std::int32_t>& ids) {
    const Container model = open_model(model_path);
    auto pass = cpu_pass(model);
    forward::Trace trace(forward::TraceOptions{8, true});
    REQUIRE(pass->evaluate(ids, &trace).ok());
    std::map<std::string, std::vector<float>> imatrix;
    for (const TensorInfo& t : model.tensors()) {
        const auto first_dot = t.name.find('.'), second_dot = t.name.find('.', first_dot + 1);
        if (t.name.rfind("blk.", 0) != 0 || second_dot == std::string::npos) continue;
        const int layer = std::stoi(t.name.substr(first_dot + 1, second_dot - first_dot - 1));
        const std::string matrix = t.name.substr(second_dot + 1, t.name.rfind('.') - second_dot - 1);
        const char* op = matrix_input_op(matrix);
        if (!op) continue;
        const forward::TraceRecord* r = trace.find(layer, op);
        REQUIRE_MESSAGE(r != nullptr, t.name);
        const std::uint64_t width = r->shape.back(), n_tokens = r->values.size() / width;
        REQUIRE(width == t.ne[0]);
        std::vector<float> m(width, 0.0f);
        for (std::uint64_t k = 0; k < n_tokens; ++k)
            for (std::uint64_t c = 0; c < width; ++c) m[c] += r->values[k * width + c] * r->values[k * width + c] / n_tokens;
        imatrix[t.name] = std::move(m);
    }
    return imatrix;
}

}  // namespace gguf::test
