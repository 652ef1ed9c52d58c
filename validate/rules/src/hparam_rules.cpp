// Hyperparameter consistency: the relations llama.cpp's graph builders assume between the sizes, and
// sane ranges for the numbers that are not sizes. Run only for modelled architectures, whose keys
// read_spec() has read.
#include <cmath>

#include "gguf/rules/codes.hpp"
#include "rule_context.hpp"

namespace gguf::rules {

void hparam_rules(RuleContext& ctx) {
    if (!ctx.spec || !ctx.schema) return;
    const model::ModelSpec& s = *ctx.spec;
    const std::string arch = s.architecture + ".";
    const Thresholds& t = ctx.settings.thresholds;

    const std::pair<std::string_view, std::uint64_t> sizes[] = {
        {"embedding_length", s.n_embd}, {"block_count", s.n_layer}, {"feed_forward_length", s.n_ff},
        {"attention.head_count_kv", s.n_head_kv}};
    bool sizes_ok = true;
    for (const auto& [key, value] : sizes) {
        // A mixture of experts needs no dense FFN width (its experts' widths have keys of their own).
        if (value != 0 || (key == "feed_forward_length" && s.moe.enabled())) continue;
        sizes_ok = false;
        add_finding(ctx.findings, code::zero_hparam, arch + std::string(key), "the hyperparameter is 0")
            .hint("A model with a zero size cannot be evaluated; the converter wrote a wrong or default value.");
    }
    if (!sizes_ok) return;

    // Without attention.key_length, llama.cpp derives the head size as n_embd / n_head.
    if (!ctx.model.find(arch + "attention.key_length") && s.n_embd % s.n_head != 0) {
        add_finding(ctx.findings, code::heads_do_not_divide_embd, arch + "attention.head_count",
                    "n_embd is not divisible by n_head, and no attention.key_length gives the head size")
            .evidence("n_embd", s.n_embd)
            .evidence("n_head", s.n_head)
            .hint("Check head_count against the original config.json (num_attention_heads).");
    }
    if (s.n_head % s.n_head_kv != 0) {
        add_finding(ctx.findings, code::kv_heads_do_not_divide, arch + "attention.head_count_kv",
                    "n_head is not divisible by n_head_kv, so query heads cannot be grouped over the KV heads")
            .evidence("n_head", s.n_head)
            .evidence("n_head_kv", s.n_head_kv)
            .hint("Check head_count_kv against the original config.json (num_key_value_heads).");
    }

    const std::string eps_key = arch + "attention.layer_norm_rms_epsilon";
    if (!std::isfinite(s.rms_eps) || s.rms_eps <= 0) {
        add_finding(ctx.findings, code::eps_invalid, eps_key, "the RMSNorm epsilon is not a positive finite number")
            .evidence("epsilon", s.rms_eps)
            .hint("RMSNorm divides by sqrt(mean(x^2) + eps); real models use 1e-5 or 1e-6.");
    } else if (s.rms_eps < t.eps_min || s.rms_eps > t.eps_max) {
        add_finding(ctx.findings, code::eps_unusual, eps_key, "the RMSNorm epsilon is outside the usual range")
            .evidence("epsilon", s.rms_eps)
            .evidence("usual_min", t.eps_min)
            .evidence("usual_max", t.eps_max)
            .hint("Compare with rms_norm_eps in the original config.json; a wrong epsilon shifts every "
                  "normalized activation slightly.");
    }

    const std::string rope_key = arch + "rope.dimension_count";
    if (s.rope.n_rot == 0 || s.rope.n_rot % 2 != 0 || s.rope.n_rot > s.head_dim) {
        add_finding(ctx.findings, code::rope_dims_invalid, rope_key,
                    "RoPE rotates pairs of dimensions within a head: the count must be even, non-zero and at most the head size")
            .evidence("n_rot", static_cast<std::uint64_t>(s.rope.n_rot))
            .evidence("head_dim", s.head_dim);
    }
    if (!std::isfinite(s.rope.freq_base) || s.rope.freq_base <= 0) {
        add_finding(ctx.findings, code::rope_base_invalid, arch + "rope.freq_base",
                    "the RoPE frequency base is not a positive finite number")
            .evidence("freq_base", s.rope.freq_base)
            .hint("Real models use 10000 (Llama 2), 500000 (Llama 3) or 1000000 (Qwen2).");
    }
    if (s.rope.scaling == model::RopeScaling::unknown) {
        add_finding(ctx.findings, code::rope_scaling_unknown, arch + "rope.scaling.type",
                    "the RoPE scaling type '" + s.rope.scaling_name + "' is not one llama.cpp knows")
            .hint("llama.cpp knows none, linear, yarn and longrope.");
    }
}

}  // namespace gguf::rules
