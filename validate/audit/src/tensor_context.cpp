#include <string_view>

#include "tensor_context.hpp"

namespace gguf::audit::detail {
namespace {

// llama.cpp's LLAMA_TOKEN_TYPE_UNUSED: what convert_hf_to_gguf.py gives the "[PAD<id>]" entries that
// pad the vocabulary up to the embedding's row count.
constexpr std::int64_t kTokenTypeUnused = 5;

bool is_padding(const Value& tokens, const Value* types, std::uint64_t i) {
    if (!tokens.string_at(i).starts_with("[PAD")) return false;
    if (!types || !types->is_array() || types->size() != tokens.size() || !types->at(0).is_integer()) return true;
    return types->integer_at(i) == kTokenTypeUnused;
}

}  // namespace

ModelFacts model_facts(const Container& model) {
    ModelFacts facts;
    if (auto spec = model::read_spec(model)) facts.spec = std::move(*spec);
    const Value* tokens = model.find("tokenizer.ggml.tokens");
    if (tokens && tokens->is_array() && tokens->element_type() == ValueType::string) {
        facts.n_tokens = tokens->size();
        const Value* types = model.find("tokenizer.ggml.token_type");
        facts.padding_start = facts.n_tokens;
        while (facts.padding_start > 0 && is_padding(*tokens, types, facts.padding_start - 1)) --facts.padding_start;
    }
    return facts;
}

std::uint64_t hf_row_of_gguf_row(std::uint64_t row, std::uint64_t head_dim) {
    const std::uint64_t head = row / head_dim, within = row % head_dim;
    return head * head_dim + (within % 2) * (head_dim / 2) + within / 2;
}

std::optional<QkLayout> qk_layout(const TensorInfo& info, const ModelFacts& facts) {
    if (!facts.spec || !info.name.starts_with("blk.")) return std::nullopt;
    const std::string_view name = info.name;
    const bool q = name.ends_with(".attn_q.weight") || name.ends_with(".attn_q.bias");
    const bool k = name.ends_with(".attn_k.weight") || name.ends_with(".attn_k.bias");
    if (!q && !k) return std::nullopt;
    const std::uint64_t heads = q ? facts.spec->n_head : facts.spec->n_head_kv;
    const bool bias = name.ends_with(".bias");
    QkLayout layout;
    layout.rows = bias ? info.ne[0] : info.ne[1];
    layout.row_length = bias ? 1 : info.ne[0];
    if (heads == 0 || layout.rows % heads != 0) return std::nullopt;
    layout.head_dim = layout.rows / heads;
    if (layout.head_dim < 4 || layout.head_dim % 2 != 0) return std::nullopt;
    if (!bias && (info.ne[2] != 1 || info.ne[3] != 1)) return std::nullopt;
    return layout;
}

std::optional<QkLayout> qk_layout(const Subject& s) { return qk_layout(s.info, s.facts); }

}  // namespace gguf::audit::detail
