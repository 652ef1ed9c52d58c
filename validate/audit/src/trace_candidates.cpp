// The hypotheses at a trace's first divergence. Each recomputes the diverging op from the reference's
// own inputs, the mistaken way, and fits when that reproduces the user's numbers within the tolerance.
#include <cmath>

#include "gguf/dequant.hpp"
#include "gguf/forward/ops.hpp"
#include "tensor_context.hpp"
#include "trace_detail.hpp"

namespace gguf::audit::detail {
namespace {

namespace ops = forward::ops;

struct Candidate {
    std::string kind;
    std::string message;
    std::vector<float> values;  // in GGUF's column order (the reference's)
    bool in_their_order = false;  // already in the user's column order
};

class Hypotheses {
public:
    explicit Hypotheses(const DivergencePoint& p) : p_(p) {}

    std::span<const float> ours(std::int32_t layer, const std::string& op) const {
        const forward::TraceRecord* r = p_.ours.find(layer, op);
        return r ? std::span<const float>(r->values) : std::span<const float>();
    }
    std::span<const float> at(const std::string& op) const { return ours(p_.layer, op); }
    std::span<const float> layer_input() const { return p_.layer <= 0 ? ours(-1, "embedding") : ours(p_.layer - 1, "ffn_residual"); }
    std::string blk(const std::string& name) const { return "blk." + std::to_string(p_.layer) + "." + name; }

    // A weight's values, or empty when the model has no such tensor (or it cannot be decoded).
    std::vector<float> weight(const std::string& name) const {
        const TensorInfo* t = p_.model.find_tensor(name);
        if (!t) return {};
        auto view = p_.model.view(*t);
        if (!view) return {};
        auto values = dequant::to_float(*view, p_.threads);
        return values ? std::move(*values) : std::vector<float>();
    }

    void test(Candidate c, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) const {
        tested.push_back(c.kind);
        if (c.values.empty()) return;
        const auto values = c.in_their_order ? c.values : in_their_order(p_.spec, p_.qk_hf, p_.op, c.values);
        const ActivationDifference d = compare_activation(values, p_.theirs.shape, p_.theirs, p_.their_values);
        if (!(d.deviation <= p_.tolerance)) return;
        fits.push_back({c.kind, std::move(c.message), {evidence("deviation", number(d.deviation))}, 0, 0});
    }

    const DivergencePoint& point() const { return p_; }

private:
    const DivergencePoint& p_;
};

std::vector<float> sum(std::span<const float> a, std::span<const float> b) {
    if (a.size() != b.size() || a.empty()) return {};
    std::vector<float> out(a.size());
    ops::add(a, b, out);
    return out;
}

std::vector<float> rms_norm(std::span<const float> x, std::span<const float> w, std::size_t width, float eps) {
    if (x.empty() || w.size() != width) return {};
    std::vector<float> out(x.size());
    ops::rms_norm(x, w, width, eps, out);
    return out;
}

std::vector<float> layer_norm(std::span<const float> x, std::span<const float> w, std::size_t width, float eps) {
    if (x.empty() || w.size() != width) return {};
    std::vector<float> out(x.size());
    for (std::size_t row = 0; row < x.size() / width; ++row) {
        const auto r = x.subspan(row * width, width);
        double mean = 0, var = 0;
        for (const float v : r) mean += v;
        mean /= static_cast<double>(width);
        for (const float v : r) var += (v - mean) * (v - mean);
        const double scale = 1.0 / std::sqrt(var / static_cast<double>(width) + eps);
        for (std::size_t i = 0; i < width; ++i) out[row * width + i] = static_cast<float>((r[i] - mean) * scale * w[i]);
    }
    return out;
}

// x W^T with W [n_out][n_in]; `transposed`: x W (W read as [n_in][n_out]; needs a square W).
std::vector<float> project(std::span<const float> x, const std::vector<float>& w, std::size_t n_in, std::size_t n_out,
                           bool transposed) {
    if (x.empty() || w.size() != n_in * n_out || x.size() % n_in != 0) return {};
    std::vector<float> weights = w;
    if (transposed) {
        for (std::size_t o = 0; o < n_out; ++o)
            for (std::size_t i = 0; i < n_in; ++i) weights[o * n_in + i] = w[i * n_out + o];
    }
    std::vector<float> out(x.size() / n_in * n_out);
    ops::matmul(x, weights, n_in, n_out, out);
    return out;
}

void norm_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    std::span<const float> x;
    std::string weight_name;
    if (p.op == "attn_norm") {
        x = h.layer_input();
        weight_name = h.blk("attn_norm.weight");
    } else if (p.op == "ffn_norm") {
        x = h.at("attn_residual");
        weight_name = h.blk("ffn_norm.weight");
    } else {
        x = h.ours(static_cast<std::int32_t>(p.spec.n_layer) - 1, "ffn_residual");
        weight_name = "output_norm.weight";
    }
    const auto w = h.weight(weight_name);
    const std::size_t width = p.spec.n_embd;
    const float eps = p.params.rms_eps;
    const std::vector<float> ones(width, 1.0f);
    std::vector<float> plus_one(w);
    for (float& v : plus_one) v += 1.0f;
    h.test({"norm_without_weight", "the RMSNorm was not multiplied by " + weight_name, rms_norm(x, ones, width, eps)}, fits, tested);
    h.test({"norm_weight_plus_one", "the RMSNorm was multiplied by (1 + " + weight_name + ") (Gemma's convention), not by the weight",
            rms_norm(x, plus_one, width, eps)},
           fits, tested);
    h.test({"layer_norm", "a LayerNorm (mean subtracted) was computed instead of an RMSNorm", layer_norm(x, w, width, eps)}, fits,
           tested);
    if (p.op == "ffn_norm")
        h.test({"norm_input", "ffn_norm was applied to the layer's input x instead of attn_residual (x + attn_out)",
                rms_norm(h.layer_input(), w, width, eps)},
               fits, tested);
}

void projection_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    struct Projection {
        const char* input;
        const char* weight;
        const char* bias;
    };
    Projection proj{};
    if (p.op == "q_proj") proj = {"attn_norm", "attn_q.weight", "attn_q.bias"};
    else if (p.op == "k_proj") proj = {"attn_norm", "attn_k.weight", "attn_k.bias"};
    else if (p.op == "v") proj = {"attn_norm", "attn_v.weight", "attn_v.bias"};
    else if (p.op == "attn_out") proj = {"attn", "attn_output.weight", "attn_output.bias"};
    else if (p.op == "gate") proj = {"ffn_norm", "ffn_gate.weight", nullptr};
    else if (p.op == "up") proj = {"ffn_norm", "ffn_up.weight", nullptr};
    else if (p.op == "down") proj = {"ffn_act", "ffn_down.weight", nullptr};
    else return;
    const auto ours = h.at(p.op);
    const TensorInfo* w_info = p.model.find_tensor(h.blk(proj.weight));
    if (proj.bias) {
        const auto bias = h.weight(h.blk(proj.bias));
        if (!bias.empty() && !ours.empty() && ours.size() % bias.size() == 0) {
            std::vector<float> without(ours.begin(), ours.end());
            for (std::size_t i = 0; i < without.size(); ++i) without[i] -= bias[i % bias.size()];
            h.test({"bias_missing", h.blk(proj.bias) + " was not added", std::move(without)}, fits, tested);
        }
    }
    if (w_info && w_info->ne[0] == w_info->ne[1]) {
        const auto w = h.weight(w_info->name);
        h.test({"weight_transposed", w_info->name + " was used transposed (x W instead of x W^T)",
                project(h.at(proj.input), w, w_info->ne[0], w_info->ne[1], true)},
               fits, tested);
    }
    if (p.op == "gate") h.test({"gate_up_swapped", "ffn_gate and ffn_up were exchanged", std::vector<float>(h.at("up").begin(), h.at("up").end())}, fits, tested);
    if (p.op == "up") h.test({"gate_up_swapped", "ffn_gate and ffn_up were exchanged", std::vector<float>(h.at("gate").begin(), h.at("gate").end())}, fits, tested);
    const bool qk = p.op == "q_proj" || p.op == "k_proj";
    const std::string norm = p.op == "q_proj" ? "attn_q_norm.weight" : "attn_k_norm.weight";
    if (qk && w_info && p.model.find_tensor(h.blk(norm))) {
        auto plain = project(h.at(proj.input), h.weight(w_info->name), w_info->ne[0], w_info->ne[1], false);
        h.test({"qk_norm_missing", "the per-head " + h.blk(norm) + " was not applied", std::move(plain)}, fits, tested);
    }
    if (qk && p.spec.rope.style == model::RopeStyle::normal && !ours.empty()) {
        // The other Q/K row convention: Hugging Face's order within each head, or GGUF's.
        Candidate c{"qk_row_order", "", in_their_order(p.spec, !p.qk_hf, p.op, ours), true};
        c.message = p.qk_hf ? "your " + p.op + " is in GGUF's column order, not Hugging Face's as --qk-order hf says: audit with "
                                               "--qk-order gguf if your engine rotates adjacent pairs (llama.cpp's RoPE)"
                            : "your " + p.op + " has each head's dimensions in Hugging Face's order (the Q/K rows were "
                                               "un-permuted): right only with rotate-half RoPE, then audit with --qk-order hf; "
                                               "llama.cpp's RoPE rotates adjacent pairs and needs the rows as stored";
        h.test(std::move(c), fits, tested);
    }
}

std::vector<float> rope(std::span<const float> x, std::size_t n_heads, std::size_t head_dim, std::int64_t first_position,
                        const ops::RopeParams& params) {
    if (x.empty() || x.size() % (n_heads * head_dim) != 0) return {};
    std::vector<float> out(x.begin(), x.end());
    std::vector<std::int64_t> positions(x.size() / (n_heads * head_dim));
    for (std::size_t t = 0; t < positions.size(); ++t) positions[t] = first_position + static_cast<std::int64_t>(t);
    ops::rope(out, n_heads, head_dim, positions, params);
    return out;
}

void rope_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    const auto input = h.at(p.op == "q" ? "q_proj" : "k_proj");
    const std::size_t heads = p.op == "q" ? p.spec.n_head : p.spec.n_head_kv;
    const std::size_t d = p.spec.head_dim;
    const ops::RopeParams& right = p.params.rope;
    h.test({"rope_missing", "RoPE was not applied to " + p.op, std::vector<float>(input.begin(), input.end())}, fits, tested);
    ops::RopeParams other = right;
    other.neox = !right.neox;
    h.test({"rope_pairing",
            right.neox ? "RoPE rotated adjacent pairs (2i, 2i+1); this model (NeoX style) pairs i with i + n_rot/2"
                       : "RoPE paired i with i + n_rot/2 (NeoX, rotate-half); this model's rows are stored for adjacent "
                         "pairs (2i, 2i+1)",
            rope(input, heads, d, 0, other)},
           fits, tested);
    h.test({"rope_positions", "RoPE positions started at 1 instead of 0", rope(input, heads, d, 1, right)}, fits, tested);
    for (const float base : {10000.0f, 500000.0f, 1000000.0f}) {
        if (base == right.freq_base) continue;
        ops::RopeParams b = right;
        b.freq_base = base;
        h.test({"rope_base", fmt::format("RoPE used frequency base {:g} instead of the file's {:g}", base, right.freq_base),
                rope(input, heads, d, 0, b)},
               fits, tested);
    }
}

// Attention with the choices the reference pass makes fixed elsewhere: `causal` masking and the head
// mapping of grouped-query attention (`interleaved`: query head h reads kv head h % n_head_kv).
std::vector<float> attention(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                             const model::ModelSpec& spec, float scale, bool causal, bool interleaved) {
    const std::size_t nh = spec.n_head, nkv = spec.n_head_kv, d = spec.head_dim, dv = spec.head_dim_v;
    if (q.empty() || nkv == 0 || q.size() % (nh * d) != 0) return {};
    const std::size_t n = q.size() / (nh * d);
    if (k.size() != n * nkv * d || v.size() != n * nkv * dv) return {};
    std::vector<float> out(n * nh * dv, 0.0f), scores(n);
    for (std::size_t t = 0; t < n; ++t)
        for (std::size_t head = 0; head < nh; ++head) {
            const std::size_t kv = interleaved ? head % nkv : head / (nh / nkv);
            const std::size_t visible = causal ? t + 1 : n;
            for (std::size_t s = 0; s < visible; ++s) {
                double dot = 0;
                for (std::size_t i = 0; i < d; ++i) dot += q[(t * nh + head) * d + i] * k[(s * nkv + kv) * d + i];
                scores[s] = static_cast<float>(dot) * scale;
            }
            ops::softmax(std::span<float>(scores.data(), visible));
            for (std::size_t s = 0; s < visible; ++s)
                for (std::size_t i = 0; i < dv; ++i) out[(t * nh + head) * dv + i] += scores[s] * v[(s * nkv + kv) * dv + i];
        }
    return out;
}

void attention_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    const auto q = h.at("q"), k = h.at("k"), v = h.at("v");
    const float right = p.params.kq_scale;
    const float d = static_cast<float>(p.spec.head_dim);
    h.test({"attention_scale", "the scores were scaled by 1/head_dim instead of 1/sqrt(head_dim)",
            attention(q, k, v, p.spec, 1.0f / d, true, false)},
           fits, tested);
    h.test({"attention_scale", "the scores were not scaled (1/sqrt(head_dim) missing)", attention(q, k, v, p.spec, 1.0f, true, false)},
           fits, tested);
    h.test({"attention_mask", "no causal mask: each position attended to later positions too",
            attention(q, k, v, p.spec, right, false, false)},
           fits, tested);
    if (p.spec.n_gqa() > 1)
        h.test({"gqa_mapping",
                fmt::format("grouped-query heads mapped as h % {} (interleaved); llama.cpp maps query head h to kv head "
                            "h / {}",
                            p.spec.n_head_kv, p.spec.n_gqa()),
                attention(q, k, v, p.spec, right, true, true)},
               fits, tested);
}

void residual_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    const auto x = h.layer_input();
    if (p.op == "attn_residual") {
        const auto out = h.at("attn_out");
        h.test({"residual_missing", "attn_residual is attn_out alone: the residual x was not added",
                std::vector<float>(out.begin(), out.end())},
               fits, tested);
        h.test({"residual_from_normed", "attn_out was added to the normalized input (attn_norm) instead of to x",
                sum(h.at("attn_norm"), out)},
               fits, tested);
        h.test({"attention_dropped", "attn_residual equals the layer's input x: attn_out was not added",
                std::vector<float>(x.begin(), x.end())},
               fits, tested);
    } else {
        const auto down = h.at("down");
        h.test({"residual_missing", "ffn_residual is down alone: the residual attn_residual was not added",
                std::vector<float>(down.begin(), down.end())},
               fits, tested);
        h.test({"residual_from_layer_input", "down was added to the layer's input x instead of to attn_residual (x + attn_out)",
                sum(x, down)},
               fits, tested);
        h.test({"residual_from_normed", "down was added to the normalized input (ffn_norm) instead of to attn_residual",
                sum(h.at("ffn_norm"), down)},
               fits, tested);
    }
}

std::vector<float> elementwise(std::span<const float> a, std::span<const float> b, float (*f)(float, float)) {
    if (a.empty() || a.size() != b.size()) return {};
    std::vector<float> out(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) out[i] = f(a[i], b[i]);
    return out;
}

void activation_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto gate = h.at("gate"), up = h.at("up");
    h.test({"activation", "silu was applied to up instead of gate: silu(up) * gate",
            elementwise(up, gate, [](float u, float g) { return u / (1.0f + std::exp(-u)) * g; })},
           fits, tested);
    h.test({"activation", "GELU was used instead of SiLU: gelu(gate) * up", elementwise(gate, up, [](float g, float u) {
                const float c = 0.7978845608f;  // sqrt(2/pi)
                return 0.5f * g * (1.0f + std::tanh(c * (g + 0.044715f * g * g * g))) * u;
            })},
           fits, tested);
    h.test({"activation", "up was not multiplied in: silu(gate) alone",
            elementwise(gate, up, [](float g, float) { return g / (1.0f + std::exp(-g)); })},
           fits, tested);
    h.test({"activation", "no activation: gate * up", elementwise(gate, up, [](float g, float u) { return g * u; })}, fits, tested);
}

void logits_hypotheses(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    const TensorInfo* output = p.model.find_tensor("output.weight");
    const TensorInfo* embd = p.model.find_tensor("token_embd.weight");
    if (output && embd && embd->ne[0] == output->ne[0] && embd->ne[1] == output->ne[1])
        h.test({"tied_output", "the logits were computed with token_embd (as if tied); this model has its own output.weight",
                project(h.ours(-1, "output_norm"), h.weight("token_embd.weight"), embd->ne[0], embd->ne[1], false)},
               fits, tested);
}

// Any op: the user's activation is ours times a constant.
void scale_hypothesis(const Hypotheses& h, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const auto& p = h.point();
    const auto ours = in_their_order(p.spec, p.qk_hf, p.op, h.at(p.op));
    if (ours.empty()) return;
    double c;
    if (!p.their_values.empty() && p.their_values.size() == ours.size()) {
        double ur = 0, rr = 0;
        for (std::size_t i = 0; i < ours.size(); ++i)
            if (std::isfinite(ours[i]) && std::isfinite(p.their_values[i])) {
                ur += static_cast<double>(ours[i]) * p.their_values[i];
                rr += static_cast<double>(ours[i]) * ours[i];
            }
        c = rr > 0 ? ur / rr : 0;
    } else {
        const forward::TraceRecord* r = p.ours.find(p.layer, p.op);
        double dot = 0;
        for (std::size_t i = 0; i < p.theirs.first.size() && i < ours.size(); ++i) dot += static_cast<double>(ours[i]) * p.theirs.first[i];
        c = r && r->rms > 0 ? p.theirs.rms / r->rms : 0;
        if (dot < 0) c = -c;
    }
    tested.push_back("scaled");
    if (c == 0 || !std::isfinite(c)) return;
    std::vector<float> scaled(ours.size());
    for (std::size_t i = 0; i < ours.size(); ++i) scaled[i] = static_cast<float>(c * ours[i]);
    const ActivationDifference d = compare_activation(scaled, p.theirs.shape, p.theirs, p.their_values);
    if (!(d.deviation <= p.tolerance)) return;
    fits.push_back({"scaled",
                    fmt::format("your {} is the reference's times {:.6g}: a scale applied where it should not be, or missing{}",
                                p.op, c, p.op == "embedding" ? " (some architectures scale the embedding by sqrt(n_embd); this one does not)" : ""),
                    {evidence("factor", number(c)), evidence("deviation", number(d.deviation))},
                    0,
                    0});
}

}  // namespace

std::vector<float> in_their_order(const model::ModelSpec& spec, bool qk_hf, const std::string& op, std::span<const float> values) {
    std::vector<float> out(values.begin(), values.end());
    const bool qk = op == "q_proj" || op == "k_proj" || op == "q" || op == "k";
    if (!qk_hf || !qk || spec.rope.style != model::RopeStyle::normal || spec.head_dim < 2) return out;
    const std::uint64_t d = spec.head_dim;
    for (std::size_t g = 0; g < values.size(); ++g) {
        const std::uint64_t column_block = g / d * d;
        out[column_block + hf_row_of_gguf_row(g % d, d)] = values[g];
    }
    return out;
}

void explain_divergence(const DivergencePoint& point, std::vector<Diagnosis>& fits, std::vector<std::string>& tested) {
    const Hypotheses h(point);
    const std::string& op = point.op;
    if (op == "attn_norm" || op == "ffn_norm" || op == "output_norm") norm_hypotheses(h, fits, tested);
    else if (op == "q" || op == "k") rope_hypotheses(h, fits, tested);
    else if (op == "attn") attention_hypotheses(h, fits, tested);
    else if (op == "attn_residual" || op == "ffn_residual") residual_hypotheses(h, fits, tested);
    else if (op == "ffn_act") activation_hypotheses(h, fits, tested);
    else if (op == "logits") logits_hypotheses(h, fits, tested);
    else projection_hypotheses(h, fits, tested);
    if (point.theirs.rms == 0 && point.theirs.non_finite == 0) {
        tested.push_back("all_zero");
        fits.push_back({"all_zero", "your " + op + " is all zero: the op's output was never written", {}, 0, 0});
    } else {
        scale_hypothesis(h, fits, tested);
    }
}

}  // namespace gguf::audit::detail
