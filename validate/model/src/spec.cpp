#include "gguf/model/spec.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

namespace gguf::model {
namespace {

struct ArchitectureTraits {
    std::string_view name;
    RopeStyle rope_style;
    bool attention_bias;
    bool qk_norm;
    bool forward;  // the forward pass computes it (ModelSpec::modelled)
};

// The rope style and attention extras of each known architecture follow llama.cpp's
// llama_model_rope_type() and its model builders (src/models/<arch>.cpp).
constexpr ArchitectureTraits kKnown[] = {
    {"llama", RopeStyle::normal, false, false, true},
    {"qwen2", RopeStyle::neox, true, false, true},
    {"qwen3", RopeStyle::neox, false, true, true},
    {"qwen35", RopeStyle::neox, false, true, true},
    {"qwen35moe", RopeStyle::neox, false, true, true},
    {"gemma3", RopeStyle::neox, false, true, true},
    {"qwen3moe", RopeStyle::neox, false, true, true},
    {"qwen2moe", RopeStyle::neox, true, false, true},
    {"gpt-oss", RopeStyle::neox, true, false, true},
    {"gemma2", RopeStyle::neox, false, false, true},
    {"olmo2", RopeStyle::neox, false, true, true},
    {"granite", RopeStyle::normal, false, false, true},
    {"phi3", RopeStyle::neox, false, false, true},
    {"mistral3", RopeStyle::normal, false, false, true},
    {"gemma4", RopeStyle::neox, false, true, true},
};

const ArchitectureTraits* find_traits(std::string_view arch) {
    for (const auto& a : kKnown)
        if (a.name == arch) return &a;
    return nullptr;
}

class KeyReader {
public:
    KeyReader(const Container& model, std::string arch) : model_(model), arch_(std::move(arch)) {}

    std::string key(std::string_view suffix) const { return arch_ + "." + std::string(suffix); }

    // A required non-negative integer; records the first problem.
    std::uint64_t required_u64(std::string_view suffix) {
        const std::string k = key(suffix);
        const Value* v = model_.find(k);
        if (!v) return missing(k, "is missing");
        if (auto u = v->try_u64()) return *u;
        // Some converters write per-layer arrays (e.g. head_count_kv); all equal is the only form modelled.
        if (v->is_array() && v->size() > 0 && v->element_type() != ValueType::string &&
            v->element_type() != ValueType::array) {
            const std::int64_t first = v->integer_at(0);
            for (std::uint64_t i = 1; i < v->size(); ++i)
                if (v->integer_at(i) != first) return missing(k, "varies per layer, which is not modelled");
            if (first >= 0) return static_cast<std::uint64_t>(first);
        }
        return missing(k, "is not a non-negative integer");
    }

    std::optional<std::uint64_t> optional_u64(std::string_view suffix) const { return model_.get_u64(key(suffix)); }

    // A required number (integer or float).
    double required_f64(std::string_view suffix) {
        const std::string k = key(suffix);
        if (auto v = model_.get_f64(k)) return *v;
        return static_cast<double>(missing(k, model_.find(k) ? "is not a number" : "is missing"));
    }

    // A per-layer flag array (bools or integers) of exactly `n` entries; nullopt when the key is absent.
    // A scalar stands for every layer, as llama.cpp's get_key_or_arr reads it.
    std::optional<std::vector<bool>> optional_flags(std::string_view suffix, std::uint64_t n) {
        const std::string k = key(suffix);
        const Value* v = model_.find(k);
        if (!v) return std::nullopt;
        if (auto u = v->try_u64()) return std::vector<bool>(n, *u != 0);
        if (v->type() == ValueType::boolean) return std::vector<bool>(n, v->as_bool());
        if (!v->is_array() || v->size() != n) {
            missing(k, "is not an array of " + std::to_string(n) + " per-layer flags");
            return std::nullopt;
        }
        std::vector<bool> flags(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            const Value e = v->at(i);
            if (e.type() == ValueType::boolean) flags[i] = e.as_bool();
            else if (auto u = e.try_u64()) flags[i] = *u != 0;
            else {
                missing(k, "has an element that is neither a boolean nor an integer");
                return std::nullopt;
            }
        }
        return flags;
    }

    // Up to `n` non-negative integers of an array (rope.dimension_sections); a scalar fills every entry.
    template <std::size_t N>
    std::optional<std::array<std::uint32_t, N>> optional_u32_array(std::string_view suffix) {
        const std::string k = key(suffix);
        const Value* v = model_.find(k);
        if (!v) return std::nullopt;
        std::array<std::uint32_t, N> out{};
        if (auto u = v->try_u64(); u && *u <= UINT32_MAX) {
            out.fill(static_cast<std::uint32_t>(*u));
            return out;
        }
        if (!v->is_array() || v->size() > N) {
            missing(k, "is not an array of at most " + std::to_string(N) + " integers");
            return std::nullopt;
        }
        for (std::uint64_t i = 0; i < v->size(); ++i) {
            const auto u = v->at(i).try_u64();
            if (!u || *u > UINT32_MAX) {
                missing(k, "has an element that is not a non-negative integer");
                return std::nullopt;
            }
            out[i] = static_cast<std::uint32_t>(*u);
        }
        return out;
    }

    void fail(const std::string& k, std::string_view what) { missing(k, what); }
    std::optional<double> optional_f64(std::string_view suffix) const { return model_.get_f64(key(suffix)); }
    std::optional<std::string_view> optional_string(std::string_view suffix) const {
        return model_.get_string(key(suffix));
    }

    const std::optional<Error>& error() const { return error_; }

private:
    std::uint64_t missing(const std::string& k, std::string_view what) {
        if (!error_) error_ = Error{ErrorCode::invalid_argument, 0, "metadata key '" + k + "' " + std::string(what), ""};
        return 0;
    }

    const Container& model_;
    std::string arch_;
    std::optional<Error> error_;
};

RopeScaling parse_scaling(std::string_view name) {
    if (name.empty() || name == "none") return RopeScaling::none;
    if (name == "linear") return RopeScaling::linear;
    if (name == "yarn") return RopeScaling::yarn;
    if (name == "longrope") return RopeScaling::longrope;
    return RopeScaling::unknown;
}

// llama.cpp's llama_hparams::set_swa_pattern without dense_first: in every run of `period` blocks the
// last one is global and the others slide; a period of 0 makes every block slide.
std::vector<LayerKind> sliding_pattern(std::uint64_t n_layer, std::uint64_t period) {
    std::vector<LayerKind> kinds(n_layer, LayerKind::attention);
    for (std::uint64_t il = 0; il < n_layer; ++il)
        if (period == 0 || il % period < period - 1) kinds[il] = LayerKind::sliding_attention;
    return kinds;
}

// The sliding-window layout of gemma3 (period 6 unless the file says otherwise) and gpt-oss (period 2):
// attention.sliding_window_pattern is either a per-layer flag array or the period.
void read_sliding_layers(KeyReader& keys, const Container& model, ModelSpec& spec, std::uint64_t default_period) {
    const std::uint64_t n_main = spec.n_main_layers();
    const std::string pattern_key = keys.key("attention.sliding_window_pattern");
    const Value* pattern = model.find(pattern_key);
    if (pattern && pattern->is_array()) {
        if (auto flags = keys.optional_flags("attention.sliding_window_pattern", spec.n_layer))
            for (std::uint64_t il = 0; il < n_main; ++il)
                spec.layer_kinds[il] = (*flags)[il] ? LayerKind::sliding_attention : LayerKind::attention;
        return;
    }
    const std::uint64_t period = keys.optional_u64("attention.sliding_window_pattern").value_or(default_period);
    const auto kinds = sliding_pattern(n_main, period);
    std::copy(kinds.begin(), kinds.end(), spec.layer_kinds.begin());
}

// qwen35 / qwen35moe (src/models/qwen35.cpp, qwen35moe.cpp): gated delta-net blocks, with full attention
// in the blocks attention.recurrent_layers leaves out, or every full_attention_interval-th block (4 by
// default); the NextN blocks are full attention.
void read_qwen35(KeyReader& keys, ModelSpec& spec) {
    spec.ssm.d_conv = keys.required_u64("ssm.conv_kernel");
    spec.ssm.d_inner = keys.required_u64("ssm.inner_size");
    spec.ssm.d_state = keys.required_u64("ssm.state_size");
    spec.ssm.dt_rank = keys.required_u64("ssm.time_step_rank");
    spec.ssm.n_group = keys.required_u64("ssm.group_count");
    if (auto sections = keys.optional_u32_array<4>("rope.dimension_sections")) spec.rope.sections = *sections;
    else keys.required_u64("rope.dimension_sections");  // records the missing key: llama.cpp requires it
    spec.rope.interleaved_sections = true;
    spec.attention_output_gate = true;
    spec.post_norms = false;  // qwen35's attn_post_norm is the norm before the FFN, not after attention

    const std::uint64_t n_main = spec.n_main_layers();
    if (auto flags = keys.optional_flags("attention.recurrent_layers", spec.n_layer)) {
        for (std::uint64_t il = 0; il < n_main; ++il)
            spec.layer_kinds[il] = (*flags)[il] ? LayerKind::recurrent : LayerKind::attention;
    } else {
        const std::uint64_t interval = keys.optional_u64("full_attention_interval").value_or(4);
        if (interval == 0) keys.fail(keys.key("full_attention_interval"), "is 0");
        else
            for (std::uint64_t il = 0; il < n_main; ++il)
                spec.layer_kinds[il] = (il + 1) % interval != 0 ? LayerKind::recurrent : LayerKind::attention;
    }
}

// Routed experts of qwen2moe, qwen3moe and qwen35moe: softmax gating, with the normalisation each
// llama.cpp builder fixes (not a file key for these architectures).
void read_experts(KeyReader& keys, ModelSpec& spec, bool norm_weights, bool shared_expert) {
    spec.moe.n_expert = keys.required_u64("expert_count");
    spec.moe.n_expert_used = keys.required_u64("expert_used_count");
    spec.moe.gating = ExpertGating::softmax;
    spec.moe.norm_weights = norm_weights;
    // llama.cpp's loaders of these architectures do not read expert_weights_scale: no scaling.
    spec.moe.weights_scale = 0.0;
    if (spec.moe.n_expert == 0 || spec.moe.n_expert_used == 0 || spec.moe.n_expert_used > spec.moe.n_expert) {
        keys.fail(keys.key("expert_used_count"), "must be between 1 and expert_count (llama.cpp refuses the model)");
        return;
    }
    spec.moe.n_ff_exp = keys.optional_u64("expert_feed_forward_length").value_or(0);
    if (spec.moe.n_ff_exp == 0) spec.moe.n_ff_exp = spec.n_ff / spec.moe.n_expert_used;
    if (spec.moe.n_ff_exp == 0) keys.fail(keys.key("expert_feed_forward_length"), "is missing and feed_forward_length gives no width");
    if (shared_expert) {
        spec.moe.n_ff_shexp = keys.optional_u64("expert_shared_feed_forward_length").value_or(0);
        if (spec.moe.n_ff_shexp == 0) spec.moe.n_ff_shexp = spec.n_ff;
        if (spec.moe.n_ff_shexp == 0)
            keys.fail(keys.key("expert_shared_feed_forward_length"), "is missing and feed_forward_length gives no width");
        spec.moe.shared_expert_gate = true;
    }
}

// gemma3 (src/models/gemma3.cpp): embeddings scaled by sqrt(n_embd), norms after attention and FFN,
// sliding layers with their own RoPE base, an optional final soft-cap.
void read_gemma3(KeyReader& keys, const Container& model, ModelSpec& spec) {
    spec.embedding_scale = std::sqrt(static_cast<double>(spec.n_embd));
    spec.post_norms = true;
    spec.sliding_window = keys.optional_u64("attention.sliding_window").value_or(0);
    if (spec.sliding_window > 0) {
        read_sliding_layers(keys, model, spec, 6);
        spec.rope_freq_base_swa = keys.optional_f64("rope.freq_base_swa").value_or(10000.0);
        spec.rope_freq_scale_swa = 1.0;  // llama.cpp applies rope.scaling.* to the global layers only
    }
    spec.final_logit_softcapping = keys.optional_f64("final_logit_softcapping").value_or(0.0);
    // llama.cpp scales queries by 1/sqrt(head_dim), except for its 62-block 27B type, which uses
    // 1/sqrt(n_embd / n_head) as Google's reference does for that size.
    const double scale_dim = spec.n_main_layers() == 62 ? static_cast<double>(spec.n_embd / spec.n_head)
                                                        : static_cast<double>(spec.head_dim);
    spec.attention_scale = 1.0 / std::sqrt(scale_dim);
}

// A per-block count of gemma4's (llama.cpp's get_key_or_arr): a scalar, or one positive value per block.
// Returns the values, or nullopt when the key is a scalar (or absent or malformed, recorded as for
// required_u64).
std::optional<std::vector<std::uint64_t>> per_layer_counts(KeyReader& keys, const Container& model, const ModelSpec& spec,
                                                           std::string_view suffix) {
    const std::string k = keys.key(suffix);
    const Value* v = model.find(k);
    if (!v || !v->is_array() || v->element_type() == ValueType::string || v->element_type() == ValueType::array) {
        keys.required_u64(suffix);
        return std::nullopt;
    }
    if (v->size() != spec.n_layer) {
        keys.fail(k, "has " + std::to_string(v->size()) + " entries for " + std::to_string(spec.n_layer) + " blocks");
        return std::nullopt;
    }
    std::vector<std::uint64_t> values(v->size());
    for (std::uint64_t i = 0; i < v->size(); ++i) {
        const std::int64_t w = v->integer_at(i);
        if (w <= 0) {
            keys.fail(k, "has a value that is not positive");
            return std::nullopt;
        }
        values[i] = static_cast<std::uint64_t>(w);
    }
    return values;
}

// gemma4's feed_forward_length, which varies per block when the shared-KV blocks have a twice-wide
// MLP. Returns the largest; fills n_ff_layers when the widths differ.
std::uint64_t read_ffn_widths(KeyReader& keys, const Container& model, ModelSpec& spec) {
    auto widths = per_layer_counts(keys, model, spec, "feed_forward_length");
    if (!widths) return keys.error() ? 0 : keys.required_u64("feed_forward_length");
    const std::uint64_t widest = *std::max_element(widths->begin(), widths->end());
    if (std::any_of(widths->begin(), widths->end(), [&](std::uint64_t w) { return w != widest; }))
        spec.n_ff_layers = std::move(*widths);
    return widest;
}

// gemma4's attention.head_count and head_count_kv, per block when the file says so (the 31B has fewer KV
// heads in its global layers). The scalar is block 0's, as llama.cpp's n_head() / n_head_kv(); the
// per-block vector is kept when the values differ.
std::uint64_t read_head_counts(KeyReader& keys, const Container& model, const ModelSpec& spec, std::string_view suffix,
                               std::vector<std::uint64_t>& per_layer) {
    auto counts = per_layer_counts(keys, model, spec, suffix);
    if (!counts) return keys.error() ? 0 : keys.required_u64(suffix);
    if (std::any_of(counts->begin(), counts->end(), [&](std::uint64_t n) { return n != counts->front(); }))
        per_layer = *counts;
    return counts->front();
}

// gemma4 (src/models/gemma4.cpp): gemma3's embedding scale and post norms, unit query scale (the
// q/k/v norms replace it), a required per-block sliding pattern, sliding layers with their own head size,
// rotated dimensions and RoPE base, per-layer inputs, trailing blocks that reuse earlier KV caches.
void read_gemma4(KeyReader& keys, const Container& model, ModelSpec& spec) {
    spec.embedding_scale = std::sqrt(static_cast<double>(spec.n_embd));
    spec.post_norms = true;
    spec.attention_scale = 1.0;
    spec.sliding_window = keys.required_u64("attention.sliding_window");
    if (!model.find(keys.key("attention.sliding_window_pattern"))) keys.required_u64("attention.sliding_window_pattern");
    read_sliding_layers(keys, model, spec, 0);
    spec.rope_freq_base_swa = keys.optional_f64("rope.freq_base_swa").value_or(10000.0);
    spec.rope_freq_scale_swa = 1.0;
    spec.head_dim_swa = keys.required_u64("attention.key_length_swa");
    if (keys.required_u64("attention.value_length_swa") != spec.head_dim_swa || spec.head_dim != spec.head_dim_v)
        keys.fail(keys.key("attention.value_length_swa"), "differs from the key length (llama.cpp refuses the model)");
    spec.n_rot_swa = static_cast<std::uint32_t>(keys.optional_u64("rope.dimension_count_swa").value_or(spec.rope.n_rot));
    spec.n_embd_per_layer = keys.required_u64("embedding_length_per_layer_input");
    spec.n_layer_kv_shared = keys.optional_u64("attention.shared_kv_layers").value_or(0);
    if (spec.n_layer_kv_shared > 0 && spec.n_layer_kv_shared + 2 > spec.n_layer)
        keys.fail(keys.key("attention.shared_kv_layers"), "leaves fewer than two blocks with their own KV cache");
    spec.final_logit_softcapping = keys.optional_f64("final_logit_softcapping").value_or(0.0);
    // The MoE variant (26B-A4B): sizes for its schema; its routing is not modelled by the forward pass.
    if (auto n_expert = keys.optional_u64("expert_count"); n_expert && *n_expert > 0) {
        spec.moe.n_expert = *n_expert;
        spec.moe.n_expert_used = keys.required_u64("expert_used_count");
        spec.moe.n_ff_exp = keys.required_u64("expert_feed_forward_length");
        spec.moe.gating = ExpertGating::softmax;
    }
}

// gpt-oss (src/models/openai-moe.cpp): alternating sliding and global layers (period 2), attention sinks,
// routed experts with biases chosen on the raw logits (softmax over the chosen), clamped SwiGLU.
void read_gpt_oss(KeyReader& keys, const Container& model, ModelSpec& spec) {
    spec.moe.n_expert = keys.required_u64("expert_count");
    spec.moe.n_expert_used = keys.required_u64("expert_used_count");
    spec.moe.n_ff_exp = keys.required_u64("expert_feed_forward_length");
    spec.moe.gating = ExpertGating::softmax_weight;
    spec.moe.norm_weights = false;
    // llama.cpp's openai-moe loader does not read expert_weights_scale: no scaling.
    spec.moe.weights_scale = 0.0;
    spec.moe.expert_biases = true;
    spec.moe.swiglu_limit = 7.0;  // llama.cpp's constants for LLM_FFN_SWIGLU_OAI_MOE
    spec.moe.swiglu_alpha = 1.702;
    if (spec.moe.n_expert == 0 || spec.moe.n_expert_used == 0 || spec.moe.n_expert_used > spec.moe.n_expert)
        keys.fail(keys.key("expert_used_count"), "must be between 1 and expert_count (llama.cpp refuses the model)");
    spec.sliding_window = keys.required_u64("attention.sliding_window");
    read_sliding_layers(keys, model, spec, 2);
    // The sliding layers share the global RoPE base and scaling unless rope.freq_base_swa says otherwise.
    spec.rope_freq_base_swa = keys.optional_f64("rope.freq_base_swa").value_or(spec.rope.freq_base);
    spec.rope_freq_scale_swa = 1.0 / spec.rope.scaling_factor;
    spec.attention_sinks = true;
    // Queries are scaled by 1/sqrt(n_rot), the head size llama.cpp's gpt-oss graph uses throughout.
    spec.attention_scale = spec.rope.n_rot ? 1.0 / std::sqrt(static_cast<double>(spec.rope.n_rot)) : 0.0;
}

// gemma2 (src/models/gemma2.cpp): gemma3's block without q/k norms, every other block sliding (window
// 4096 unless the file says), soft-capped attention scores (default 50) and logits (default 30).
void read_gemma2(KeyReader& keys, const Container& model, ModelSpec& spec) {
    spec.embedding_scale = std::sqrt(static_cast<double>(spec.n_embd));
    spec.post_norms = true;
    spec.sliding_window = keys.optional_u64("attention.sliding_window").value_or(4096);
    read_sliding_layers(keys, model, spec, 2);
    spec.rope_freq_base_swa = keys.optional_f64("rope.freq_base_swa").value_or(spec.rope.freq_base);
    spec.rope_freq_scale_swa = 1.0 / spec.rope.scaling_factor;
    spec.attn_logit_softcapping = keys.optional_f64("attn_logit_softcapping").value_or(50.0);
    spec.final_logit_softcapping = keys.optional_f64("final_logit_softcapping").value_or(30.0);
    // As gemma3: 1/sqrt(head_dim), except llama.cpp's 27B type (46 blocks): 1/sqrt(n_embd / n_head).
    const double scale_dim = spec.n_main_layers() == 46 ? static_cast<double>(spec.n_embd / spec.n_head)
                                                        : static_cast<double>(spec.head_dim);
    spec.attention_scale = 1.0 / std::sqrt(scale_dim);
}

// olmo2 (src/models/olmo2.cpp): no norms before attention and FFN, RMSNorms after them; q/k norms over
// the whole q and k widths; OLMo 3's sliding layers (period 4) when attention.sliding_window is set.
void read_olmo2(KeyReader& keys, const Container& model, ModelSpec& spec) {
    spec.post_norms = true;
    spec.sliding_window = keys.optional_u64("attention.sliding_window").value_or(0);
    if (spec.sliding_window > 0) {
        read_sliding_layers(keys, model, spec, 4);
        spec.rope_freq_base_swa = keys.optional_f64("rope.freq_base_swa").value_or(spec.rope.freq_base);
        spec.rope_freq_scale_swa = 1.0;  // llama.cpp leaves the sliding layers unscaled
    }
}

// granite (src/models/granite.cpp): llama's block with multipliers: embeddings (embedding_scale),
// block outputs before each residual add (residual_scale), the kq scale (attention.scale, else
// 1/sqrt(head_dim)), and logits divided by logit_scale (required).
void read_granite(KeyReader& keys, ModelSpec& spec) {
    spec.logit_scale = keys.required_f64("logit_scale");
    if (auto v = keys.optional_f64("residual_scale"); v && *v != 0.0) spec.residual_scale = *v;
    if (auto v = keys.optional_f64("embedding_scale"); v && *v != 0.0) spec.embedding_scale = *v;
    spec.attention_scale = keys.optional_f64("attention.scale").value_or(0.0);
}

// phi3 (src/models/phi3.cpp): fused q/k/v (attn_qkv) in most files, separate projections in some. llama.cpp
// turns the sliding window off for phi3, so attention.sliding_window is not read.
void read_phi3(const Container& model, ModelSpec& spec) {
    spec.fused_qkv = model.find_tensor("blk.0.attn_qkv.weight") != nullptr;
}

// mistral3 (src/models/mistral3.cpp): llama's block; with attention.temperature_scale, llama 4's
// temperature tuning of the queries over steps of the original context (rope.scaling.original_context_length,
// else context_length), which llama.cpp refuses to apply over a zero step.
void read_mistral3(KeyReader& keys, ModelSpec& spec) {
    spec.attn_temperature_scale = keys.optional_f64("attention.temperature_scale").value_or(0.0);
    if (spec.attn_temperature_scale != 0.0) {
        spec.attn_temperature_interval = spec.rope.original_context ? spec.rope.original_context : spec.n_ctx_train;
        if (spec.attn_temperature_interval == 0)
            keys.fail(keys.key("rope.scaling.original_context_length"),
                      "is missing or 0, which llama.cpp refuses with attention.temperature_scale");
    }
}

}  // namespace

const std::vector<std::string>& modelled_architectures() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& a : kKnown)
            if (a.forward) n.emplace_back(a.name);
        return n;
    }();
    return names;
}

const std::vector<std::string>& known_architectures() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& a : kKnown) n.emplace_back(a.name);
        return n;
    }();
    return names;
}

Result<ModelSpec> read_spec(const Container& model) {
    ModelSpec spec;
    const auto arch = model.get_string("general.architecture");
    if (!arch) return Error{ErrorCode::invalid_argument, 0, "metadata key 'general.architecture' is missing", ""};
    spec.architecture = std::string(*arch);
    const ArchitectureTraits* traits = find_traits(spec.architecture);
    spec.known = traits != nullptr;
    spec.modelled = traits && traits->forward;

    KeyReader keys(model, spec.architecture);
    if (const Value* tokens = model.find("tokenizer.ggml.tokens"); tokens && tokens->is_array())
        spec.n_vocab = tokens->size();
    else if (auto n = keys.optional_u64("vocab_size"))
        spec.n_vocab = *n;

    if (!spec.known) {
        // Best effort for reports; nothing downstream relies on these for an unknown architecture.
        spec.n_embd = keys.optional_u64("embedding_length").value_or(0);
        spec.n_layer = keys.optional_u64("block_count").value_or(0);
        spec.n_head = keys.optional_u64("attention.head_count").value_or(0);
        spec.n_head_kv = keys.optional_u64("attention.head_count_kv").value_or(spec.n_head);
        spec.n_ff = keys.optional_u64("feed_forward_length").value_or(0);
        spec.n_ctx_train = keys.optional_u64("context_length").value_or(0);
        return spec;
    }

    spec.n_embd = keys.required_u64("embedding_length");
    spec.n_layer = keys.required_u64("block_count");
    const std::string& a = spec.architecture;
    const bool moe = a == "qwen35moe" || a == "qwen3moe" || a == "qwen2moe" || a == "gpt-oss";
    // A MoE file may have no dense FFN width; the expert widths then come from their own keys.
    spec.n_ff = moe && !keys.optional_u64("feed_forward_length") ? 0
                : a == "gemma4"                                      ? read_ffn_widths(keys, model, spec)
                                                                     : keys.required_u64("feed_forward_length");
    // Present as a scalar or as a per-layer array (which optional_u64 does not read): read either way.
    // Arrays that vary are modelled for gemma4, whose graph reads each block's counts; llama.cpp's other
    // graphs size every block by block 0's, so there they are refused.
    if (a == "gemma4") {
        spec.n_head = read_head_counts(keys, model, spec, "attention.head_count", spec.n_head_layers);
        if (model.find(keys.key("attention.head_count_kv"))) {
            spec.n_head_kv = read_head_counts(keys, model, spec, "attention.head_count_kv", spec.n_head_kv_layers);
        } else {  // as llama.cpp: each block's KV heads default to its heads
            spec.n_head_kv = spec.n_head;
            spec.n_head_kv_layers = spec.n_head_layers;
        }
    } else {
        spec.n_head = keys.required_u64("attention.head_count");
        spec.n_head_kv = model.find(keys.key("attention.head_count_kv")) ? keys.required_u64("attention.head_count_kv")
                                                                         : spec.n_head;
    }
    spec.n_ctx_train = keys.optional_u64("context_length").value_or(0);
    if (auto eps = keys.optional_f64("attention.layer_norm_rms_epsilon")) spec.rms_eps = *eps;
    else keys.required_u64("attention.layer_norm_rms_epsilon");  // records the missing key
    if (keys.error()) return *keys.error();
    if (spec.n_head == 0) return Error{ErrorCode::invalid_argument, 0, "attention.head_count is 0", ""};
    // Every layer has tensors of its own, so a count beyond the file's tensors is a corrupt value; taken
    // as it is, the schema would list billions of tensors.
    if (spec.n_layer > model.tensors().size())
        return Error{ErrorCode::invalid_argument, 0,
                     "block_count " + std::to_string(spec.n_layer) + " is larger than the file's " +
                         std::to_string(model.tensors().size()) + " tensors, and every layer has tensors of its own",
                     ""};

    spec.head_dim = keys.optional_u64("attention.key_length").value_or(spec.n_embd / spec.n_head);
    spec.head_dim_v = keys.optional_u64("attention.value_length").value_or(spec.head_dim);

    spec.rope.style = traits->rope_style;
    spec.rope.n_rot = static_cast<std::uint32_t>(keys.optional_u64("rope.dimension_count").value_or(spec.head_dim));
    spec.rope.freq_base = keys.optional_f64("rope.freq_base").value_or(10000.0);
    spec.rope.scaling_name = std::string(keys.optional_string("rope.scaling.type").value_or(""));
    spec.rope.scaling = parse_scaling(spec.rope.scaling_name);
    if (auto f = keys.optional_f64("rope.scaling.factor"); f && *f > 0) spec.rope.scaling_factor = *f;
    else if (auto lin = keys.optional_f64("rope.scale_linear"); lin && *lin > 0) {
        spec.rope.scaling_factor = *lin;  // older files: linear scaling without a type key
        if (spec.rope.scaling == RopeScaling::none) spec.rope.scaling = RopeScaling::linear;
    }
    // llama.cpp reads an absent rope.scaling.type as "linear", so a factor without a type still scales.
    if (spec.rope.scaling_name.empty() && spec.rope.scaling_factor != 1.0) spec.rope.scaling = RopeScaling::linear;
    spec.rope.original_context = keys.optional_u64("rope.scaling.original_context_length").value_or(0);

    spec.tied_output = model.find_tensor("output.weight") == nullptr;
    spec.attention_bias = traits->attention_bias;
    spec.qk_norm = traits->qk_norm;

    spec.n_layer_nextn = keys.optional_u64("nextn_predict_layers").value_or(0);
    // A zero block_count is the hyperparameter rules' to report (GD-A015), not a reason to refuse the spec.
    if (spec.n_layer_nextn > 0 && spec.n_layer_nextn >= spec.n_layer)
        return Error{ErrorCode::invalid_argument, 0,
                     "nextn_predict_layers " + std::to_string(spec.n_layer_nextn) + " leaves no main block of the " +
                         std::to_string(spec.n_layer),
                     ""};
    spec.layer_kinds.assign(spec.n_layer, LayerKind::attention);
    if (a == "qwen35" || a == "qwen35moe") read_qwen35(keys, spec);
    if (a == "qwen35moe") read_experts(keys, spec, true, true);
    if (a == "qwen3moe") read_experts(keys, spec, true, false);
    if (a == "qwen2moe") read_experts(keys, spec, false, true);
    if (a == "gemma3") read_gemma3(keys, model, spec);
    if (a == "gpt-oss") read_gpt_oss(keys, model, spec);
    if (a == "gemma2") read_gemma2(keys, model, spec);
    if (a == "olmo2") read_olmo2(keys, model, spec);
    if (a == "granite") read_granite(keys, spec);
    if (a == "phi3") read_phi3(model, spec);
    if (a == "mistral3") read_mistral3(keys, spec);
    if (a == "gemma4") read_gemma4(keys, model, spec);
    if (keys.error()) return *keys.error();
    return spec;
}

}  // namespace gguf::model
