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
    std::uint64_t head_k_swa = 0, head_v_swa = 0;  // head sizes of the sliding-window layers
    std::uint64_t swa_cells = 0;             // set by the planner: cells of a sliding-window layer's cache
    std::vector<bool> recurrent_layers;      // per layer: a recurrent state instead of a KV cache
    std::uint64_t n_embd_r = 0, n_embd_s = 0;  // F32 elements of one recurrent layer's state (conv, delta/SSM)
    std::uint64_t n_layer_kv_from_start = 0;   // later layers reuse an earlier layer's cache
    std::vector<std::string> notes;

    bool is_swa(std::uint64_t il) const { return il < swa_layers.size() && swa_layers[il]; }
    bool is_recurrent(std::uint64_t il) const { return il < recurrent_layers.size() && recurrent_layers[il]; }
    bool has_kv(std::uint64_t il) const { return !is_recurrent(il) && il < n_layer_kv_from_start; }
    std::uint64_t head_k_of(std::uint64_t il) const { return is_swa(il) && head_k_swa ? head_k_swa : head_k; }
    std::uint64_t head_v_of(std::uint64_t il) const { return is_swa(il) && head_v_swa ? head_v_swa : head_v; }
    std::uint64_t n_embd_k_gqa(std::uint64_t il) const { return head_k_of(il) * n_head_kv[il]; }
    std::uint64_t n_embd_v_gqa(std::uint64_t il) const { return head_v_of(il) * n_head_kv[il]; }
    std::uint64_t recurrent_state_bytes(std::uint64_t il) const { return is_recurrent(il) ? (n_embd_r + n_embd_s) * 4 : 0; }
};

Result<Hparams> read_hparams(const Container& model);
// Sliding-window, recurrent and KV-sharing layers (fit_layers.cpp); called by read_hparams.
void read_layer_kinds(const Container& model, Hparams& h);

struct GraphShape {
    std::uint64_t n_tokens;  // ubatch
    std::uint64_t n_kv;      // cells
    std::uint64_t n_kv_swa;  // cells of the sliding-window layers' cache; 0 when no layer slides
    bool flash_attention;
    std::uint32_t kv_type;   // ggml type id of the cache
};

std::uint64_t input_bytes(const Hparams& h, const GraphShape& g);
std::uint64_t layer_peak_bytes(const Hparams& h, const GraphShape& g);
std::uint64_t output_peak_bytes(const Hparams& h, const GraphShape& g);

}  // namespace gguf::deploy::detail
