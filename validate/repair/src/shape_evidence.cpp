#include "gguf/repair/shape_evidence.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <set>

namespace gguf::repair {
namespace {

// Block index of a tensor named blk.N.*; nullopt otherwise.
std::optional<std::uint64_t> block_of(std::string_view name) {
    if (!name.starts_with("blk.")) return std::nullopt;
    name.remove_prefix(4);
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec != std::errc{} || end == name.data() || end == name.data() + name.size() || *end != '.') return std::nullopt;
    return n;
}

// The one value dimension `dim` of every blk.N.<suffix> takes; nullopt when no block has the tensor or
// two blocks disagree.
std::optional<std::uint64_t> unanimous_dim(const Container& model, std::string_view suffix, int dim) {
    std::optional<std::uint64_t> value;
    for (const auto& t : model.tensors()) {
        if (!block_of(t.name) || !t.name.ends_with(suffix) || t.n_dims < 2) continue;
        const std::string_view rest = std::string_view(t.name).substr(t.name.find('.', 4) + 1);
        if (rest != suffix) continue;
        if (value && *value != t.ne[dim]) return std::nullopt;
        value = t.ne[dim];
    }
    return value;
}

class Collector {
public:
    Collector(const Container& model, std::string arch) : model_(model), arch_(std::move(arch)) {}

    // The key's integer value; nullopt when absent. `array` is set when it is a per-layer array.
    std::optional<std::uint64_t> value(std::string_view suffix, bool* array = nullptr) const {
        const Value* v = model_.find(arch_ + "." + std::string(suffix));
        if (array) *array = v && v->is_array();
        return v ? v->try_u64() : std::nullopt;
    }

    // `absent_means`: what llama.cpp assumes when the key is absent (no change proposed then).
    void propose(std::string_view suffix, std::uint64_t implied, std::string evidence,
                 std::optional<std::uint64_t> absent_means = std::nullopt) {
        bool array = false;
        const auto file = value(suffix, &array);
        if (array || file == implied) return;
        if (!model_.find(arch_ + "." + std::string(suffix)) && absent_means == implied) return;
        out.push_back({arch_ + "." + std::string(suffix), file, implied, std::move(evidence)});
    }

    std::vector<ImpliedValue> out;

private:
    const Container& model_;
    std::string arch_;
};

}  // namespace

std::vector<ImpliedValue> values_implied_by_shapes(const Container& model) {
    const auto arch = model.get_string("general.architecture");
    if (!arch || arch->empty()) return {};
    Collector c(model, std::string(*arch));

    // Blocks: blk.0 .. blk.(n-1), every one present.
    std::set<std::uint64_t> blocks;
    for (const auto& t : model.tensors())
        if (auto b = block_of(t.name)) blocks.insert(*b);
    if (!blocks.empty() && *blocks.rbegin() + 1 == blocks.size())
        c.propose("block_count", blocks.size(), fmt::format("tensors of blocks 0 to {} and no others", blocks.size() - 1));

    const TensorInfo* embd = model.find_tensor("token_embd.weight");
    if (!embd || embd->n_dims != 2) return std::move(c.out);
    const std::uint64_t n_embd = embd->ne[0];
    c.propose("embedding_length", n_embd, fmt::format("token_embd.weight rows of {} values", n_embd));
    if (c.value("vocab_size")) c.propose("vocab_size", embd->ne[1], fmt::format("token_embd.weight has {} rows", embd->ne[1]));

    // The FFN width, when every block's up and gate projections agree (MoE and per-layer widths are left
    // alone, and so is a fused gate/up tensor such as phi3's, whose rows are twice the width).
    if (auto n_ff = unanimous_dim(model, "ffn_up.weight", 1);
        n_ff && unanimous_dim(model, "ffn_up.weight", 0) == n_embd && unanimous_dim(model, "ffn_gate.weight", 1) == n_ff)
        c.propose("feed_forward_length", *n_ff, fmt::format("every blk.N.ffn_up.weight and ffn_gate.weight map {} values to {}", n_embd, *n_ff));

    // KV heads, from the key projection's rows, once the head size is confirmed by the query projection.
    bool heads_array = false;
    const auto n_head = c.value("attention.head_count", &heads_array);
    const auto q_rows = unanimous_dim(model, "attn_q.weight", 1), k_rows = unanimous_dim(model, "attn_k.weight", 1);
    if (n_head && *n_head > 0 && !heads_array && q_rows && k_rows) {
        const std::uint64_t head_dim = c.value("attention.key_length").value_or(n_embd / *n_head);
        if (head_dim > 0 && *q_rows == *n_head * head_dim && *k_rows % head_dim == 0)
            c.propose("attention.head_count_kv", *k_rows / head_dim,
                      fmt::format("every blk.N.attn_k.weight has {} rows, {} heads of {} (the size blk.N.attn_q.weight's {} "
                                  "rows give {} heads)",
                                  *k_rows, *k_rows / head_dim, head_dim, *q_rows, *n_head),
                      *n_head);
    }
    return std::move(c.out);
}

}  // namespace gguf::repair
