// Architecture names, llama.cpp-like type mixes, and the checks a configuration must pass.
#include <cmath>

#include "encode.hpp"
#include "gguf/samples/generator.hpp"
#include "tensor_plan.hpp"

namespace gguf::samples {
namespace {

constexpr std::uint32_t id(TypeId t) { return static_cast<std::uint32_t>(t); }

Error invalid(std::string what) { return Error{ErrorCode::invalid_argument, 0, std::move(what), ""}; }

// llama.cpp's ftypes (llama.h, enum llama_ftype) and the default tensor type of each.
struct Mix {
    std::string_view name;
    std::uint32_t ftype;
    TypeId base;
    TypeId output;        // output.weight, and token_embd when tied
    TypeId more_bits;     // attn_v and ffn_down in the layers llama.cpp's use_more_bits() picks
};

constexpr Mix kMixes[] = {
    {"f32", 0, TypeId::F32, TypeId::F32, TypeId::F32},
    {"f16", 1, TypeId::F16, TypeId::F16, TypeId::F16},
    {"bf16", 32, TypeId::BF16, TypeId::BF16, TypeId::BF16},
    {"q8_0", 7, TypeId::Q8_0, TypeId::Q8_0, TypeId::Q8_0},
    {"q4_0", 2, TypeId::Q4_0, TypeId::Q6_K, TypeId::Q4_0},
    {"q6_k", 18, TypeId::Q6_K, TypeId::Q6_K, TypeId::Q6_K},
    {"q4_k_m", 15, TypeId::Q4_K, TypeId::Q6_K, TypeId::Q6_K},
    {"q5_k_m", 17, TypeId::Q5_K, TypeId::Q6_K, TypeId::Q6_K},
    // The code-book and ternary types, every matrix in the type (llama.cpp's own mixes of these put a
    // few layers in other types) and output.weight as llama.cpp chooses it.
    {"iq1_s", 24, TypeId::IQ1_S, TypeId::Q5_K, TypeId::IQ1_S},
    {"iq1_m", 31, TypeId::IQ1_M, TypeId::Q5_K, TypeId::IQ1_M},
    {"iq2_xxs", 19, TypeId::IQ2_XXS, TypeId::Q5_K, TypeId::IQ2_XXS},
    {"iq2_xs", 20, TypeId::IQ2_XS, TypeId::Q5_K, TypeId::IQ2_XS},
    {"iq2_s", 28, TypeId::IQ2_S, TypeId::Q5_K, TypeId::IQ2_S},
    {"iq3_xxs", 23, TypeId::IQ3_XXS, TypeId::Q5_K, TypeId::IQ3_XXS},
    {"iq3_s", 26, TypeId::IQ3_S, TypeId::Q6_K, TypeId::IQ3_S},
    {"tq1_0", 36, TypeId::TQ1_0, TypeId::Q6_K, TypeId::TQ1_0},
    {"tq2_0", 37, TypeId::TQ2_0, TypeId::Q6_K, TypeId::TQ2_0},
};

bool use_more_bits(int layer, int n_layer) {
    return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

// llama.cpp's tensor_type_fallback: a row length the type's blocks do not divide gets a 32-block type,
// and F16 when even that does not fit.
std::uint32_t fallback(std::uint32_t type, std::uint64_t row_length) {
    const TypeInfo* info = find_type(type);
    if (!info || row_length % info->block_size == 0) return type;
    std::uint32_t to = type;
    if (type == id(TypeId::Q4_K)) to = id(TypeId::Q5_0);
    else if (type == id(TypeId::Q5_K)) to = id(TypeId::Q5_1);
    else if (type == id(TypeId::Q6_K)) to = id(TypeId::Q8_0);
    else if (type == id(TypeId::Q2_K) || type == id(TypeId::Q3_K) || type == id(TypeId::TQ1_0) ||
             type == id(TypeId::TQ2_0))
        to = id(TypeId::Q4_0);
    else if (type == id(TypeId::IQ1_S) || type == id(TypeId::IQ1_M) || type == id(TypeId::IQ2_XXS) ||
             type == id(TypeId::IQ2_XS) || type == id(TypeId::IQ2_S) || type == id(TypeId::IQ3_XXS) ||
             type == id(TypeId::IQ3_S) || type == id(TypeId::IQ4_XS))
        to = id(TypeId::IQ4_NL);
    if (row_length % find_type(to)->block_size != 0) to = id(TypeId::F16);
    return to;
}

// What qwen35's delta-net, the experts and gemma3's sliding window need beyond the common sizes.
Result<void> validate_architecture_extras(const ModelConfig& c) {
    const Architecture a = c.architecture;
    const bool qwen35 = a == Architecture::qwen35 || a == Architecture::qwen35moe;
    const bool moe = a == Architecture::qwen35moe || a == Architecture::qwen3moe || a == Architecture::qwen2moe ||
                     a == Architecture::gpt_oss;
    const std::uint32_t n_rot = c.n_rot ? c.n_rot : c.head_dim;
    if (n_rot % 2 != 0 || n_rot > c.head_dim) return invalid("n_rot must be even and at most head_dim");
    if (qwen35) {
        if (c.ssm_d_conv == 0 || c.ssm_d_state == 0 || c.ssm_n_group == 0 || c.ssm_dt_rank == 0 ||
            c.full_attention_interval == 0)
            return invalid("qwen35 needs positive ssm_d_conv, ssm_d_state, ssm_n_group, ssm_dt_rank and full_attention_interval");
        if (c.ssm_dt_rank % c.ssm_n_group != 0)
            return invalid("ssm_dt_rank (v heads) must be a multiple of ssm_n_group (q/k heads)");
        const std::uint32_t sections = c.rope_sections[0] + c.rope_sections[1] + c.rope_sections[2] + c.rope_sections[3];
        if (sections == 0 || sections > c.head_dim)
            return invalid("qwen35 needs rope_sections that sum to a positive count of at most head_dim");
    }
    if (moe) {
        if (c.n_expert == 0 || c.n_expert_used == 0 || c.n_expert_used > c.n_expert || c.n_ff_exp == 0)
            return invalid("a mixture of experts needs n_expert > 0, 0 < n_expert_used <= n_expert and n_ff_exp > 0");
        const bool shared = a == Architecture::qwen35moe || a == Architecture::qwen2moe;
        if (shared != (c.n_ff_shexp != 0))
            return invalid(std::string(architecture_name(a)) + (shared ? " needs" : " has no") + " a shared expert (n_ff_shexp)");
    } else if (c.n_expert != 0 || c.n_ff_shexp != 0) {
        return invalid(std::string(architecture_name(a)) + " has no experts: n_expert and n_ff_shexp must be 0");
    }
    if (a == Architecture::gemma3 && c.sliding_window != 0 && !(c.rope_base_swa > 0.0f && std::isfinite(c.rope_base_swa)))
        return invalid("rope_base_swa must be a positive number");
    if (a == Architecture::gemma2 && (!c.tied_output || !(c.attn_softcap > 0.0f) || !(c.final_softcap > 0.0f)))
        return invalid("gemma2 is always tied in llama.cpp, and its soft-caps must be positive");
    if (a == Architecture::olmo2 && (c.tied_output || std::uint64_t{c.n_head} * c.head_dim != c.n_embd))
        return invalid("olmo2 needs its own output.weight and n_head * head_dim == n_embd (llama.cpp's loader)");
    if (a == Architecture::granite && !(c.logit_scale > 0.0f))
        return invalid("granite needs a positive logit_scale");
    if (a == Architecture::phi3 && std::uint64_t{c.n_head} * c.head_dim != c.n_embd)
        return invalid("phi3 needs n_head * head_dim == n_embd (llama.cpp sizes its q projection by n_embd)");
    if (c.longrope_attn_factor != 0.0f && (a != Architecture::phi3 || c.rope_original_context == 0))
        return invalid("LongRoPE factors are a phi3 feature and need rope_original_context");
    if (c.attn_temperature_scale != 0.0f && (a != Architecture::mistral3 || c.rope_original_context == 0))
        return invalid("the query temperature is a mistral3 feature and needs rope_original_context");
    if (a == Architecture::gemma4) {
        // llama.cpp's loader: both head sizes even, value sizes equal to key sizes (written so), and a
        // shared block reuses block n_kv - 1 (global) or n_kv - 2 (sliding), so at least two keep their KV.
        const std::uint32_t n_rot_swa = c.n_rot_swa ? c.n_rot_swa : c.head_dim_swa;
        if (c.head_dim_swa == 0 || c.head_dim_swa % 2 != 0 || n_rot_swa % 2 != 0 || n_rot_swa > c.head_dim_swa ||
            c.rope_rotated_global % 2 != 0 || c.rope_rotated_global > c.head_dim)
            return invalid("gemma4 needs an even head_dim_swa and even rotated sizes within their heads");
        if (c.n_layer_kv_shared != 0 && c.n_layer_kv_shared + 2 > c.n_layer)
            return invalid("gemma4's shared-KV blocks need at least two earlier blocks with their own KV cache");
        if (c.sliding_window == 0 || !(c.rope_base_swa > 0.0f && std::isfinite(c.rope_base_swa)))
            return invalid("gemma4 needs a sliding window and a positive rope_base_swa (llama.cpp requires them)");
        if (c.n_head_kv_global != 0 && c.n_head % c.n_head_kv_global != 0)
            return invalid("gemma4's n_head must be a multiple of n_head_kv_global");
    }
    if (c.n_head_kv_global != 0 && a != Architecture::gemma4)
        return invalid("n_head_kv_global (per-block KV heads) is a gemma4 feature");
    if (a == Architecture::gpt_oss && (c.sliding_window == 0 || !c.attn_bias || c.tied_output))
        return invalid("gpt-oss needs a sliding window, q/k/v biases and its own output.weight (llama.cpp requires them)");
    return {};
}

}  // namespace

std::string_view architecture_name(Architecture a) {
    switch (a) {
        case Architecture::llama: return "llama";
        case Architecture::qwen2: return "qwen2";
        case Architecture::qwen3: return "qwen3";
        case Architecture::qwen35: return "qwen35";
        case Architecture::qwen35moe: return "qwen35moe";
        case Architecture::gemma3: return "gemma3";
        case Architecture::qwen3moe: return "qwen3moe";
        case Architecture::qwen2moe: return "qwen2moe";
        case Architecture::gpt_oss: return "gpt-oss";
        case Architecture::gemma2: return "gemma2";
        case Architecture::olmo2: return "olmo2";
        case Architecture::granite: return "granite";
        case Architecture::phi3: return "phi3";
        case Architecture::mistral3: return "mistral3";
        case Architecture::gemma4: return "gemma4";
    }
    return "?";
}

Result<Architecture> parse_architecture(std::string_view name) {
    for (auto a : {Architecture::llama, Architecture::qwen2, Architecture::qwen3, Architecture::qwen35,
                   Architecture::qwen35moe, Architecture::gemma3, Architecture::qwen3moe, Architecture::qwen2moe,
                   Architecture::gpt_oss, Architecture::gemma2, Architecture::olmo2, Architecture::granite,
                   Architecture::phi3, Architecture::mistral3, Architecture::gemma4})
        if (architecture_name(a) == name) return a;
    return invalid("unknown architecture '" + std::string(name) +
                   "' (llama, qwen2, qwen3, qwen35, qwen35moe, gemma3, qwen3moe, qwen2moe, gpt-oss, gemma2, olmo2, granite, phi3, mistral3, gemma4)");
}

void WeightTypes::set_all(std::uint32_t type) {
    token_embd = output = attn_q = attn_k = attn_v = attn_output = ffn_gate = ffn_up = ffn_down = type;
    ssm = ffn_exps = ffn_shexp = type;
    per_tensor.clear();
}

std::vector<std::string_view> mix_names() {
    std::vector<std::string_view> names;
    for (const auto& m : kMixes) names.push_back(m.name);
    return names;
}

Result<void> apply_mix(ModelConfig& c, std::string_view name) {
    const Mix* mix = nullptr;
    for (const auto& m : kMixes)
        if (m.name == name) mix = &m;
    if (!mix) return invalid("unknown type mix '" + std::string(name) + "'");
    c.file_type = mix->ftype;
    c.types.set_all(id(mix->base));
    c.types.output = id(mix->output);
    if (c.tied_output) c.types.token_embd = id(mix->output);

    // Per tensor: the layers that get more bits, then the fallbacks for row lengths (shapes do not
    // depend on types, so a plan with the class types gives every row length).
    const int n_layer = static_cast<int>(c.n_layer);
    for (const auto& t : detail::layout(c)) {
        if (detail::keeps_f32(t.role)) continue;
        std::uint32_t type = t.type;
        const bool more_bits_role =
            t.role == detail::Role::attn_v || t.role == detail::Role::ffn_down || t.role == detail::Role::ffn_down_exps;
        if (more_bits_role && use_more_bits(t.layer, n_layer))
            type = id(mix->more_bits);
        type = fallback(type, t.row_length());
        if (type != t.type) c.types.per_tensor[t.name] = type;
    }
    return {};
}

bool can_encode(std::uint32_t type) { return detail::can_encode(type); }

Result<void> validate(const ModelConfig& c) {
    if (c.n_vocab == 0 || c.n_embd == 0 || c.n_layer == 0 || c.n_head == 0 || c.n_head_kv == 0 || c.head_dim == 0 ||
        c.n_ff == 0 || c.n_ctx == 0)
        return invalid("n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff and n_ctx must all be positive");
    if (c.n_head % c.n_head_kv != 0)
        return invalid("n_head (" + std::to_string(c.n_head) + ") must be a multiple of n_head_kv (" +
                       std::to_string(c.n_head_kv) + ")");
    if (c.head_dim % 2 != 0) return invalid("head_dim must be even (RoPE rotates pairs)");
    if (c.architecture == Architecture::qwen2 && std::uint64_t{c.n_head} * c.head_dim != c.n_embd)
        return invalid("qwen2 needs n_head * head_dim == n_embd (llama.cpp sizes its q projection by n_embd)");
    if (c.architecture == Architecture::qwen2moe && std::uint64_t{c.n_head} * c.head_dim != c.n_embd)
        return invalid("qwen2moe needs n_head * head_dim == n_embd (llama.cpp sizes its q projection by n_embd)");
    if (auto r = validate_architecture_extras(c); !r) return r;
    if (!(c.rms_eps > 0.0f) || !std::isfinite(c.rms_eps)) return invalid("rms_eps must be a positive number");
    if (!(c.rope_base > 0.0f) || !std::isfinite(c.rope_base)) return invalid("rope_base must be a positive number");
    if (c.n_vocab_padding >= c.n_vocab) return invalid("n_vocab_padding must be smaller than n_vocab");
    if (c.vocab_from.empty()) {
        const std::uint32_t n_real = c.n_vocab - c.n_vocab_padding;
        // SPM: 3 special + 256 byte tokens + 95 single characters; BPE: 256 byte symbols + 3 control.
        const std::uint32_t need = c.tokenizer == TokenizerKind::spm ? 3 + 256 + 95 : 256 + 3;
        if (n_real < need)
            return invalid("a synthetic " + std::string(c.tokenizer == TokenizerKind::spm ? "SentencePiece" : "BPE") +
                           " vocabulary needs at least " + std::to_string(need) + " real tokens; n_vocab - n_vocab_padding is " +
                           std::to_string(n_real));
    } else if (c.n_vocab_padding != 0) {
        return invalid("n_vocab_padding applies to synthetic vocabularies; a copied one is padded up to n_vocab");
    }
    // Every matrix: a type this build can encode, whose blocks divide the row length.
    const auto tensors = detail::layout(c);
    for (const auto& t : tensors) {
        if (detail::keeps_f32(t.role)) continue;
        const TypeInfo* info = find_type(t.type);
        if (!info) return invalid("tensor '" + t.name + "': unknown type id " + std::to_string(t.type));
        if (!detail::can_encode(t.type))
            return invalid("tensor '" + t.name + "': this build cannot encode " + std::string(info->name));
        if (t.row_length() % info->block_size != 0)
            return invalid("tensor '" + t.name + "': row length " + std::to_string(t.row_length()) +
                           " is not a multiple of the " + std::to_string(info->block_size) + "-value blocks of " +
                           std::string(info->name));
    }
    for (const auto& [name, type] : c.types.per_tensor) {
        bool found = false;
        for (const auto& t : tensors) found = found || (t.name == name && !detail::keeps_f32(t.role));
        if (!found) return invalid("per-tensor type for '" + name + "': the model has no such weight matrix");
    }
    return {};
}

}  // namespace gguf::samples
