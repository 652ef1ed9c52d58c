#include "gguf/forward/pass_params.hpp"

#include <cmath>
#include <fmt/format.h>

#include "gguf/dequant.hpp"

namespace gguf::forward {
namespace {

Error unsupported(std::string message) { return Error{ErrorCode::invalid_argument, 0, std::move(message), ""}; }

// llama 3's per-pair frequency divisors, which the llama, granite and mistral3 graphs apply.
Result<std::vector<float>> frequency_factors(const Container& model, const model::ModelSpec& spec) {
    const TensorInfo* t = model.find_tensor("rope_freqs.weight");
    const std::string& a = spec.architecture;
    if (!t || (a != "llama" && a != "granite" && a != "mistral3")) return std::vector<float>{};
    if (t->n_elements() != spec.rope.n_rot / 2 || t->ne[0] != spec.rope.n_rot / 2)
        return unsupported(fmt::format("tensor 'rope_freqs.weight' has {} values, expected n_rot/2 = {}", t->n_elements(),
                                       spec.rope.n_rot / 2));
    auto view = model.view(*t);
    if (!view) return view.error();
    return dequant::to_float(*view, 1);
}

}  // namespace

Result<PassParams> pass_params(const Container& model, const model::ModelSpec& spec) {
    if (!spec.modelled)
        return unsupported("architecture '" + spec.architecture + "' is not modelled by the reference forward pass");
    // llama.cpp's llama, qwen2 and qwen3 graphs assert these equalities when they build the graph.
    if (spec.head_dim != spec.head_dim_v || spec.rope.n_rot != spec.head_dim)
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
            // llama.cpp's magnitude correction 0.1 ln(s) + 1, divided again by the same factor that ggml's
            // rope multiplies in, computed in the same float steps.
            const float scale = 1.0f / r.freq_scale;
            const float mscale = scale <= 1.0f ? 1.0f : 0.1f * std::log(scale) + 1.0f;
            r.attn_factor = mscale * (1.0f / (1.0f + 0.1f * std::log(scale)));
            break;
        }
        case model::RopeScaling::longrope:
        case model::RopeScaling::unknown:
            return unsupported("rope scaling '" + spec.rope.scaling_name + "' is not supported by the reference forward pass");
    }
    if (auto a = model.get_f64(spec.architecture + ".rope.scaling.attn_factor")) r.attn_factor *= static_cast<float>(*a);

    auto factors = frequency_factors(model, spec);
    if (!factors) return factors.error();
    r.freq_factors = std::move(*factors);
    return p;
}

}  // namespace gguf::forward
