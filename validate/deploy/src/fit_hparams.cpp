// The hyperparameters the memory model needs, read the way llama.cpp reads them for any architecture:
// per-layer arrays or one value for every layer, head sizes from key_length/value_length or
// n_embd / n_head, the vocabulary from the token list (or the embedding's rows).
#include <fmt/format.h>

#include <algorithm>

#include "fit_graph.hpp"

namespace gguf::deploy::detail {
namespace {

// Architectures whose every layer keeps a recurrent state instead of a KV cache: the state's size is
// not modelled for them (hybrids, whose layers are either, are: fit_layers.cpp).
constexpr std::string_view kRecurrent[] = {"mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"};

bool is_integer_type(ValueType t) {
    switch (t) {
        case ValueType::uint8: case ValueType::int8: case ValueType::uint16: case ValueType::int16:
        case ValueType::uint32: case ValueType::int32: case ValueType::uint64: case ValueType::int64: return true;
        default: return false;
    }
}

std::optional<std::vector<std::uint64_t>> per_layer(const Container& model, const std::string& key, std::uint64_t n_layer) {
    const Value* v = model.find(key);
    if (!v) return std::nullopt;
    std::vector<std::uint64_t> out;
    if (v->is_array()) {
        if (v->size() != n_layer || !is_integer_type(v->element_type()))
            return std::nullopt;
        for (std::uint64_t i = 0; i < n_layer; ++i) out.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(0, v->integer_at(i))));
        return out;
    }
    auto u = v->try_u64();
    if (!u) return std::nullopt;
    return std::vector<std::uint64_t>(n_layer, *u);
}

Error missing(const std::string& key) {
    return Error{ErrorCode::invalid_argument, 0, "metadata key '" + key + "' is missing or not a usable number", ""};
}

}  // namespace

Result<Hparams> read_hparams(const Container& model) {
    Hparams h;
    auto arch = model.get_string("general.architecture");
    if (!arch) return missing("general.architecture");
    h.architecture = std::string(*arch);
    if (std::find(std::begin(kRecurrent), std::end(kRecurrent), h.architecture) != std::end(kRecurrent))
        return Error{ErrorCode::invalid_argument, 0,
                     "architecture '" + h.architecture + "' keeps a recurrent state, whose size fit does not model", ""};
    const std::string a = h.architecture + ".";
    const auto n_layer = model.get_u64(a + "block_count");
    const auto n_embd = model.get_u64(a + "embedding_length");
    if (!n_layer || *n_layer == 0 || *n_layer > 4096) return missing(a + "block_count");
    if (!n_embd || *n_embd == 0) return missing(a + "embedding_length");
    h.n_layer = *n_layer;
    h.n_embd = *n_embd;
    h.n_ctx_train = static_cast<std::uint32_t>(std::min<std::uint64_t>(model.get_u64(a + "context_length").value_or(0), 0xFFFFFF00u));

    auto heads = per_layer(model, a + "attention.head_count", h.n_layer);
    if (!heads) return missing(a + "attention.head_count");
    h.n_head = *heads;
    h.n_head_kv = per_layer(model, a + "attention.head_count_kv", h.n_layer).value_or(h.n_head);
    h.n_ff = per_layer(model, a + "feed_forward_length", h.n_layer).value_or(std::vector<std::uint64_t>(h.n_layer, 0));
    const std::uint64_t head0 = *std::max_element(h.n_head.begin(), h.n_head.end());
    if (head0 == 0) return missing(a + "attention.head_count");
    h.head_k = model.get_u64(a + "attention.key_length").value_or(h.n_embd / head0);
    h.head_v = model.get_u64(a + "attention.value_length").value_or(h.n_embd / head0);

    if (const Value* tokens = model.find("tokenizer.ggml.tokens"); tokens && tokens->is_array()) h.n_vocab = tokens->size();
    else if (const TensorInfo* e = model.find_tensor("token_embd.weight")) h.n_vocab = e->ne[1];

    h.n_expert = model.get_u64(a + "expert_count").value_or(0);
    h.n_expert_used = model.get_u64(a + "expert_used_count").value_or(0);
    h.n_ff_expert = model.get_u64(a + "expert_feed_forward_length").value_or(0);

    read_layer_kinds(model, h);
    return h;
}

}  // namespace gguf::deploy::detail
