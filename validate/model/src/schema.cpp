#include "gguf/model/schema.hpp"

#include <algorithm>
#include <charconv>

namespace gguf::model {
namespace {

struct RoleNaming {
    TensorRole role;
    std::string_view label;
    std::string_view base;
    std::string_view suffix;
    bool in_block;
};

// llama.cpp's names (src/llama-arch.cpp, LLM_TENSOR_NAMES) for the tensors the schemas use.
constexpr RoleNaming kNames[] = {
    {TensorRole::token_embd, "token_embd", "token_embd", "weight", false},
    {TensorRole::output, "output", "output", "weight", false},
    {TensorRole::output_bias, "output_bias", "output", "bias", false},
    {TensorRole::output_norm, "output_norm", "output_norm", "weight", false},
    {TensorRole::rope_freqs, "rope_freqs", "rope_freqs", "weight", false},
    {TensorRole::attn_norm, "attn_norm", "attn_norm", "weight", true},
    {TensorRole::attn_q, "attn_q", "attn_q", "weight", true},
    {TensorRole::attn_k, "attn_k", "attn_k", "weight", true},
    {TensorRole::attn_v, "attn_v", "attn_v", "weight", true},
    {TensorRole::attn_output, "attn_output", "attn_output", "weight", true},
    {TensorRole::attn_q_bias, "attn_q_bias", "attn_q", "bias", true},
    {TensorRole::attn_k_bias, "attn_k_bias", "attn_k", "bias", true},
    {TensorRole::attn_v_bias, "attn_v_bias", "attn_v", "bias", true},
    {TensorRole::attn_output_bias, "attn_output_bias", "attn_output", "bias", true},
    {TensorRole::attn_q_norm, "attn_q_norm", "attn_q_norm", "weight", true},
    {TensorRole::attn_k_norm, "attn_k_norm", "attn_k_norm", "weight", true},
    {TensorRole::ffn_norm, "ffn_norm", "ffn_norm", "weight", true},
    {TensorRole::ffn_gate, "ffn_gate", "ffn_gate", "weight", true},
    {TensorRole::ffn_up, "ffn_up", "ffn_up", "weight", true},
    {TensorRole::ffn_down, "ffn_down", "ffn_down", "weight", true},
    {TensorRole::ffn_gate_bias, "ffn_gate_bias", "ffn_gate", "bias", true},
    {TensorRole::ffn_up_bias, "ffn_up_bias", "ffn_up", "bias", true},
    {TensorRole::ffn_down_bias, "ffn_down_bias", "ffn_down", "bias", true},
};

const RoleNaming* naming(TensorRole role) {
    for (const auto& n : kNames)
        if (n.role == role) return &n;
    return nullptr;
}

class SchemaBuilder {
public:
    explicit SchemaBuilder(std::string architecture) { schema_.architecture = std::move(architecture); }

    void add(TensorRole role, std::int64_t layer, std::vector<std::uint64_t> ne, Presence presence,
             bool vocab_rows = false) {
        schema_.tensors.push_back(ExpectedTensor{tensor_name(role, layer), role, layer, std::move(ne), vocab_rows, presence});
    }

    Schema take() { return std::move(schema_); }

private:
    Schema schema_;
};

// Shapes as llama.cpp's loaders create them (src/models/llama.cpp, qwen2.cpp, qwen3.cpp). The lm_head
// and the embedding are {n_embd, n_vocab}; their row count is left to the vocabulary rules.
Schema decoder_schema(const ModelSpec& s) {
    SchemaBuilder b(s.architecture);
    const std::uint64_t n_q = s.head_dim * s.n_head;
    const std::uint64_t n_k = s.head_dim * s.n_head_kv;
    const std::uint64_t n_v = s.head_dim_v * s.n_head_kv;
    const std::uint64_t n_attn_out = s.head_dim_v * s.n_head;
    const bool qwen2 = s.architecture == "qwen2";
    const bool qwen3 = s.architecture == "qwen3";

    b.add(TensorRole::token_embd, -1, {s.n_embd, s.n_vocab}, Presence::required, true);
    b.add(TensorRole::output_norm, -1, {s.n_embd}, Presence::required);
    b.add(TensorRole::output, -1, {s.n_embd, s.n_vocab}, Presence::optional, true);
    if (qwen2) b.add(TensorRole::output_bias, -1, {s.n_vocab}, Presence::optional, true);
    if (s.architecture == "llama" && s.rope.n_rot >= 2)
        b.add(TensorRole::rope_freqs, -1, {s.rope.n_rot / 2}, Presence::optional);

    // q/k/v biases: qwen2 is trained with them (llama.cpp still loads a file without); llama may have them.
    const Presence qkv_bias = qwen2 ? Presence::expected : Presence::optional;
    for (std::uint64_t i = 0; i < s.n_layer; ++i) {
        const auto il = static_cast<std::int64_t>(i);
        b.add(TensorRole::attn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::attn_q, il, {s.n_embd, n_q}, Presence::required);
        b.add(TensorRole::attn_k, il, {s.n_embd, n_k}, Presence::required);
        b.add(TensorRole::attn_v, il, {s.n_embd, n_v}, Presence::required);
        b.add(TensorRole::attn_output, il, {n_attn_out, s.n_embd}, Presence::required);
        if (!qwen3) {
            b.add(TensorRole::attn_q_bias, il, {n_q}, qkv_bias);
            b.add(TensorRole::attn_k_bias, il, {n_k}, qkv_bias);
            b.add(TensorRole::attn_v_bias, il, {n_v}, qkv_bias);
        }
        if (!qwen2 && !qwen3) b.add(TensorRole::attn_output_bias, il, {s.n_embd}, Presence::optional);
        if (qwen3) {
            b.add(TensorRole::attn_q_norm, il, {s.head_dim}, Presence::required);
            b.add(TensorRole::attn_k_norm, il, {s.head_dim}, Presence::required);
        }
        b.add(TensorRole::ffn_norm, il, {s.n_embd}, Presence::required);
        b.add(TensorRole::ffn_gate, il, {s.n_embd, s.n_ff}, Presence::required);
        b.add(TensorRole::ffn_up, il, {s.n_embd, s.n_ff}, Presence::required);
        b.add(TensorRole::ffn_down, il, {s.n_ff, s.n_embd}, Presence::required);
        if (!qwen2 && !qwen3) {
            b.add(TensorRole::ffn_gate_bias, il, {s.n_ff}, Presence::optional);
            b.add(TensorRole::ffn_up_bias, il, {s.n_ff}, Presence::optional);
            b.add(TensorRole::ffn_down_bias, il, {s.n_embd}, Presence::optional);
        }
    }
    return b.take();
}

std::optional<std::int64_t> parse_index(std::string_view digits) {
    std::int64_t value = 0;
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return value;
}

}  // namespace

std::string_view role_name(TensorRole role) {
    const RoleNaming* n = naming(role);
    return n ? n->label : "other";
}

const ExpectedTensor* Schema::find(std::string_view name) const {
    for (const auto& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

std::optional<Schema> schema_for(const ModelSpec& spec) {
    if (!spec.modelled) return std::nullopt;
    if (spec.architecture == "llama" || spec.architecture == "qwen2" || spec.architecture == "qwen3")
        return decoder_schema(spec);
    return std::nullopt;
}

std::string TensorName::group() const {
    std::string g = layer >= 0 ? "blk.*." + base : base;
    if (!suffix.empty()) g += "." + suffix;
    return g;
}

TensorName parse_tensor_name(std::string_view name) {
    TensorName out;
    if (name.starts_with("blk.")) {
        const auto dot = name.find('.', 4);
        if (dot != std::string_view::npos) {
            if (auto index = parse_index(name.substr(4, dot - 4))) {
                out.layer = *index;
                name.remove_prefix(dot + 1);
            }
        }
    }
    const auto last = name.rfind('.');
    if (last == std::string_view::npos) {
        out.base = std::string(name);
    } else {
        out.base = std::string(name.substr(0, last));
        out.suffix = std::string(name.substr(last + 1));
    }
    return out;
}

TensorRole role_from_name(std::string_view name) {
    const TensorName parsed = parse_tensor_name(name);
    for (const auto& n : kNames)
        if (n.base == parsed.base && n.suffix == parsed.suffix && n.in_block == (parsed.layer >= 0)) return n.role;
    return TensorRole::other;
}

bool is_norm(TensorRole role) {
    return role == TensorRole::output_norm || role == TensorRole::attn_norm || role == TensorRole::ffn_norm ||
           role == TensorRole::attn_q_norm || role == TensorRole::attn_k_norm;
}

bool is_bias(TensorRole role) {
    return role == TensorRole::output_bias || role == TensorRole::attn_q_bias || role == TensorRole::attn_k_bias ||
           role == TensorRole::attn_v_bias || role == TensorRole::attn_output_bias ||
           role == TensorRole::ffn_gate_bias || role == TensorRole::ffn_up_bias || role == TensorRole::ffn_down_bias;
}

bool is_matrix(TensorRole role) {
    switch (role) {
        case TensorRole::token_embd:
        case TensorRole::output:
        case TensorRole::attn_q:
        case TensorRole::attn_k:
        case TensorRole::attn_v:
        case TensorRole::attn_output:
        case TensorRole::ffn_gate:
        case TensorRole::ffn_up:
        case TensorRole::ffn_down:
            return true;
        default:
            return false;
    }
}

std::vector<TensorRole> consumers_of(TensorRole norm) {
    switch (norm) {
        case TensorRole::attn_norm:
            return {TensorRole::attn_q, TensorRole::attn_k, TensorRole::attn_v};
        case TensorRole::ffn_norm:
            return {TensorRole::ffn_gate, TensorRole::ffn_up};
        case TensorRole::output_norm:
            return {TensorRole::output};
        default:
            return {};
    }
}

std::string tensor_name(TensorRole role, std::int64_t layer) {
    const RoleNaming* n = naming(role);
    if (!n) return {};
    std::string name = n->in_block ? "blk." + std::to_string(layer) + "." : std::string();
    name += n->base;
    name += '.';
    name += n->suffix;
    return name;
}

}  // namespace gguf::model
