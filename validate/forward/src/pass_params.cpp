#include "gguf/forward/pass_params.hpp"

#include <cmath>
#include <fmt/format.h>

#include "gguf/dequant.hpp"
#include "gguf/forward/ops_extra.hpp"

namespace gguf::forward {
namespace {

Error unsupported(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

// The per-pair frequency divisors the architecture's graph applies (llama.cpp's get_rope_factors): llama
// 3's rope_freqs (llama, granite, mistral3, unless their RoPE is LongRoPE), or LongRoPE's factors (phi3;
// llama, granite and mistral3 with rope.scaling.type longrope): the long set when the context exceeds
// the original training context (ops::longrope_uses_long_factors), else the short one.
std::string factors_tensor(const model::ModelSpec& spec, std::uint64_t context_length) {
    const std::string& a = spec.architecture;
    const bool longrope = spec.rope.scaling == model::RopeScaling::longrope;
    const bool llama_like = a == "llama" || a == "granite" || a == "mistral3";
    if (a == "phi3" || (llama_like && longrope)) {
        const std::uint64_t original = spec.rope.original_context ? spec.rope.original_context : spec.n_ctx_train;
        const bool long_context = context_length > 0 && ops::longrope_uses_long_factors(context_length, original);
        return long_context ? "rope_factors_long.weight" : "rope_factors_short.weight";
    }
    if (llama_like) return "rope_freqs.weight";
    return "";
}

Result<std::vector<float>> frequency_factors(const Container& model, const model::ModelSpec& spec,
                                             std::uint64_t context_length) {
    const std::string name = factors_tensor(spec, context_length);
    const TensorInfo* t = name.empty() ? nullptr : model.find_tensor(name);
    if (!t) return std::vector<float>{};
    if (t->n_elements() != spec.rope.n_rot / 2 || t->ne[0] != spec.rope.n_rot / 2)
        return unsupported(fmt::format("tensor '{}' has {} values, expected n_rot/2 = {}", name, t->n_elements(),
                                       spec.rope.n_rot / 2));
    auto view = model.view(*t);
    if (!view) return view.error();
    return dequant::to_float(*view, 1);
}

}  // namespace

Result<PassParams> pass_params(const Container& model, const model::ModelSpec& spec, std::uint64_t context_length) {
    if (!spec.modelled)
        return unsupported("architecture '" + spec.architecture + "' is not modelled by the reference forward pass");
    // llama.cpp's graphs assert these equalities when they build the graph; multi-section RoPE (qwen35)
    // rotates a part of each head, which its builder checks, and so does phi3's in Phi-4-mini (n_rot may
    // be smaller there).
    const bool partial_rotation =
        spec.rope.multi_section() || (spec.architecture == "phi3" && spec.rope.n_rot <= spec.head_dim);
    if (spec.head_dim != spec.head_dim_v || (spec.rope.n_rot != spec.head_dim && !partial_rotation))
        return unsupported(fmt::format("{}: key_length {}, value_length {} and rope.dimension_count {} must be equal "
                                       "(llama.cpp rejects the model otherwise)",
                                       spec.architecture, spec.head_dim, spec.head_dim_v, spec.rope.n_rot));
    if (spec.rope.n_rot == 0 || spec.rope.n_rot % 2 != 0)
        return unsupported(fmt::format("rope.dimension_count {} is not a positive even number", spec.rope.n_rot));
    if (spec.n_head_kv == 0 || spec.n_head % spec.n_head_kv != 0)
        return unsupported(fmt::format("head_count {} is not a multiple of head_count_kv {}", spec.n_head, spec.n_head_kv));

    PassParams p;
    p.rms_eps = static_cast<float>(spec.rms_eps);
    p.kq_scale = 1.0f / std::sqrt(static_cast<float>(spec.head_dim));

    ops::RopeParams& r = p.rope;
    r.n_rot = spec.rope.n_rot;
    r.neox = spec.rope.style == model::RopeStyle::neox;
    r.freq_base = static_cast<float>(spec.rope.freq_base);
    const float factor = static_cast<float>(spec.rope.scaling_factor);
    switch (spec.rope.scaling) {
        case model::RopeScaling::none: break;
        case model::RopeScaling::linear: r.freq_scale = 1.0f / factor; break;
        case model::RopeScaling::yarn: {
            r.freq_scale = 1.0f / factor;
            r.ext_factor = 1.0f;
            r.n_ctx_orig = static_cast<std::uint32_t>(spec.rope.original_context ? spec.rope.original_context : spec.n_ctx_train);
            // mistral3's loader reads YaRN's correction range and log multiplier from the file.
            float log_mul = 0.0f;
            if (spec.architecture == "mistral3") {
                const std::string k = spec.architecture + ".rope.scaling.";
                if (auto v = model.get_f64(k + "yarn_beta_fast")) r.beta_fast = static_cast<float>(*v);
                if (auto v = model.get_f64(k + "yarn_beta_slow")) r.beta_slow = static_cast<float>(*v);
                log_mul = static_cast<float>(model.get_f64(k + "yarn_log_multiplier").value_or(0.0));
            }
            // llama.cpp's magnitude correction, divided again by the factor that ggml's rope multiplies
            // in, computed in the same float steps (the file's attn_factor is applied below).
            r.attn_factor = ops::yarn_attn_factor(1.0f / r.freq_scale, log_mul, 1.0f);
            break;
        }
        case model::RopeScaling::longrope:
            // llama.cpp scales the frequencies as for linear scaling and leaves YaRN off; the factors and
            // the magnitude (rope.scaling.attn_factor) follow.
            r.freq_scale = 1.0f / factor;
            break;
        case model::RopeScaling::unknown:
            return unsupported("rope scaling '" + spec.rope.scaling_name + "' is not supported by the reference forward pass");
    }
    if (auto a = model.get_f64(spec.architecture + ".rope.scaling.attn_factor")) r.attn_factor *= static_cast<float>(*a);

    auto factors = frequency_factors(model, spec, context_length);
    if (!factors) return factors.error();
    r.freq_factors = std::move(*factors);
    return p;
}

}  // namespace gguf::forward
