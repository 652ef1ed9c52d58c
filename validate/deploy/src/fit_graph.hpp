// What the memory model of `fit` reads from a file, and the compute-buffer estimate: the largest set of
// intermediate tensors one ubatch keeps alive at once in llama.cpp's graph, per part of the graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/container.hpp"
#include "gguf/error.hpp"

namespace gguf::deploy::detail {

struct Hparams {
    std::string architecture;
    std::uint64_t n_layer = 0;
    std::uint64_t n_embd = 0;
    std::uint64_t n_vocab = 0;
    std::uint32_t n_ctx_train = 0;
    std::vector<std::uint64_t> n_head, n_head_kv, n_ff;  // per layer
    std::uint64_t head_k = 0, head_v = 0;
    std::uint64_t n_expert = 0, n_expert_used = 0, n_ff_expert = 0;
    std::uint32_t n_swa = 0;                 // sliding window; 0 none
    std::vector<bool> swa_layers;            // per layer, when the file or the architecture says which
    std::uint64_t swa_cells = 0;             // set by the planner: cells of a sliding-window layer's cache
    std::vector<std::string> notes;

    bool is_swa(std::uint64_t il) const { return il < swa_layers.size() && swa_layers[il]; }
    std::uint64_t n_embd_k_gqa(std::uint64_t il) const { return head_k * n_head_kv[il]; }
    std::uint64_t n_embd_v_gqa(std::uint64_t il) const { return head_v * n_head_kv[il]; }
};

Result<Hparams> read_hparams(const Container& model);

struct GraphShape {
    std::uint64_t n_tokens;  // ubatch
    std::uint64_t n_kv;      // cells
    bool flash_attention;
    std::uint32_t kv_type;   // ggml type id of the cache
};

std::uint64_t input_bytes(const Hparams& h, const GraphShape& g);
std::uint64_t layer_peak_bytes(const Hparams& h, const GraphShape& g);
std::uint64_t output_peak_bytes(const Hparams& h, const GraphShape& g);

}  // namespace gguf::deploy::detail
