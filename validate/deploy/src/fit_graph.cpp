// The compute-buffer estimate. llama.cpp sizes its compute buffers by allocating the graph of one
// ubatch with all tokens as outputs and reusing memory once a tensor's consumers have run; the peak is
// the largest set of tensors alive at one point. The sets below are those of a pre-norm decoder layer
// (attention, then the feed-forward network) and of the output head; the result is an estimate, and
// docs/deploy.md gives its measured agreement with llama.cpp's own numbers.
#include <algorithm>

#include "fit_graph.hpp"

namespace gguf::deploy::detail {
namespace {

constexpr std::uint64_t kF32 = 4;
constexpr std::uint64_t kF16 = 2;
constexpr std::uint32_t kF32CacheType = 0;  // ggml's GGML_TYPE_F32
constexpr std::uint64_t kMaskPadding = 64;  // ggml's GGML_KQ_MASK_PAD: the mask's rows are padded to it

std::uint64_t pad(std::uint64_t n, std::uint64_t to) { return (n + to - 1) / to * to; }

std::uint64_t max_of(const std::vector<std::uint64_t>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

}  // namespace

std::uint64_t input_bytes(const Hparams& h, const GraphShape& g) {
    const std::uint64_t t = g.n_tokens;
    // One attention mask per cache: llama.cpp's iSWA input has a second one over the window's cells.
    const std::uint64_t mask = (g.n_kv + g.n_kv_swa) * pad(t, kMaskPadding) * (g.flash_attention ? kF16 : kF32);
    return t * kF32 * 3 /* token ids, positions, output ids */ + t * h.n_embd * kF32 /* embeddings */ + mask;
}

std::uint64_t layer_peak_bytes(const Hparams& h, const GraphShape& g) {
    const std::uint64_t t = g.n_tokens;
    const std::uint64_t n_head = max_of(h.n_head), n_head_kv = max_of(h.n_head_kv);
    const std::uint64_t residual = 2 * t * h.n_embd * kF32;  // the layer's input and its normed copy
    const std::uint64_t qkv = t * (h.head_k * n_head + h.head_k * n_head_kv + h.head_v * n_head_kv) * kF32;
    const std::uint64_t attn_out = t * h.head_v * n_head * kF32;
    const std::uint64_t scores = g.flash_attention ? 0 : g.n_kv * t * n_head * kF32;
    // Flash attention reads an F32 cache through F16 copies of the layer's K and V.
    const std::uint64_t kv_copies =
        g.flash_attention && g.kv_type == kF32CacheType ? 2 * g.n_kv * h.head_k * n_head_kv * kF16 : 0;
    const std::uint64_t attention = qkv + scores + attn_out + kv_copies;
    std::uint64_t ffn_width = max_of(h.n_ff);
    std::uint64_t router = 0;
    if (h.n_expert > 0) {
        ffn_width = (h.n_ff_expert ? h.n_ff_expert : ffn_width) * std::max<std::uint64_t>(h.n_expert_used, 1);
        router = t * h.n_expert * kF32 * 2;
    }
    const std::uint64_t ffn = 3 * t * ffn_width * kF32 + router;  // gate, up and their product
    return residual + std::max(attention, ffn);
}

std::uint64_t output_peak_bytes(const Hparams& h, const GraphShape& g) {
    const std::uint64_t t = g.n_tokens;
    return 2 * t * h.n_embd * kF32 + t * h.n_vocab * kF32;
}

}  // namespace gguf::deploy::detail
