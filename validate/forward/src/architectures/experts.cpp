#include "experts.hpp"

namespace gguf::forward::architectures {
namespace {

ops::RouterParams router_params(const model::MoeSpec& moe) {
    ops::RouterParams p;
    p.n_expert_used = moe.n_expert_used;
    switch (moe.gating) {
        case model::ExpertGating::softmax: p.gating = ops::RouterGating::softmax; break;
        case model::ExpertGating::sigmoid: p.gating = ops::RouterGating::sigmoid; break;
        case model::ExpertGating::softmax_weight: p.gating = ops::RouterGating::softmax_weight; break;
    }
    p.normalize = moe.norm_weights;
    p.scale = static_cast<float>(moe.weights_scale);
    return p;
}

// The shared expert of qwen2moe and qwen35moe: shared = sigmoid(h . ffn_gate_inp_shexp) *
// down(silu(gate(h)) * up(h)), then proj += shared.
void shared_expert(Build& b, Scope& s, std::uint64_t n_ff, bool plain_sigmoid) {
    const std::uint64_t n_embd = b.spec.n_embd;
    WeightSet& w = s.weights;
    const int gate_inp = b.bind.matrix(w, s.tensor("ffn_gate_inp_shexp.weight"), n_embd, 1);
    const int gate = b.bind.matrix(w, s.tensor("ffn_gate_shexp.weight"), n_embd, n_ff);
    const int up = b.bind.matrix(w, s.tensor("ffn_up_shexp.weight"), n_embd, n_ff);
    const int down = b.bind.matrix(w, s.tensor("ffn_down_shexp.weight"), n_ff, n_embd);

    s.ops.push_back(Linear{Slot::gate, Slot::xn, gate});
    s.ops.push_back(Linear{Slot::up, Slot::xn, up});
    s.ops.push_back(SwiGlu{Slot::gate, Slot::gate, Slot::up, n_ff});
    s.ops.push_back(Linear{Slot::shared, Slot::gate, down});
    s.ops.push_back(Record{Slot::shared, n_embd, "shexp"});
    // The router's logits have been consumed: the slot takes the gate's one logit per token.
    s.ops.push_back(Linear{Slot::router, Slot::xn, gate_inp});
    s.ops.push_back(SharedExpertGate{Slot::shared, Slot::router, n_embd, plain_sigmoid});
    s.ops.push_back(Record{Slot::shared, n_embd, "shexp_gated"});
    s.ops.push_back(Add{Slot::proj, Slot::proj, Slot::shared, n_embd});
    s.ops.push_back(Record{Slot::proj, n_embd, "ffn_out"});
}

}  // namespace

void pre_norm_moe_ffn(Build& b, std::uint64_t il, const MoeBlockOptions& options) {
    const model::ModelSpec& m = b.spec;
    const model::MoeSpec& moe = m.moe;
    Scope s = b.layer(il);
    const std::uint64_t n_embd = m.n_embd, n_expert = moe.n_expert, k = moe.n_expert_used, n_ff = moe.n_ff_exp;
    WeightSet& w = s.weights;
    const int norm = b.bind.vector(w, s.tensor(options.norm), n_embd, true);
    const int router = b.bind.matrix(w, s.tensor("ffn_gate_inp.weight"), n_embd, n_expert);
    const int gate = b.bind.experts(w, s.tensor("ffn_gate_exps.weight"), n_embd, n_ff, n_expert);
    const int up = b.bind.experts(w, s.tensor("ffn_up_exps.weight"), n_embd, n_ff, n_expert);
    const int down = b.bind.experts(w, s.tensor("ffn_down_exps.weight"), n_ff, n_embd, n_expert);
    MoeFfn mix{Slot::proj, Slot::xn, Slot::routing, n_expert, k, gate, up, down};
    int router_bias = -1;
    if (options.biases) {
        router_bias = b.bind.vector(w, s.tensor("ffn_gate_inp.bias"), n_expert, true);
        mix.gate_bias = b.bind.expert_vectors(w, s.tensor("ffn_gate_exps.bias"), n_ff, n_expert);
        mix.up_bias = b.bind.expert_vectors(w, s.tensor("ffn_up_exps.bias"), n_ff, n_expert);
        mix.down_bias = b.bind.expert_vectors(w, s.tensor("ffn_down_exps.bias"), n_embd, n_expert);
    }
    mix.swiglu_alpha = static_cast<float>(moe.swiglu_alpha);
    mix.swiglu_limit = static_cast<float>(moe.swiglu_limit);

    s.ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, norm, b.params.rms_eps});
    s.ops.push_back(Record{Slot::xn, n_embd, "ffn_norm"});
    s.ops.push_back(Linear{Slot::router, Slot::xn, router, router_bias});
    s.ops.push_back(Record{Slot::router, n_expert, "router_logits"});
    s.ops.push_back(RouteExperts{Slot::routing, Slot::router, n_expert, router_params(moe)});
    s.ops.push_back(Record{Slot::routing, 2 * k, "moe_experts"});
    s.ops.push_back(mix);
    s.ops.push_back(Record{Slot::proj, n_embd, "moe_out"});
    if (moe.n_ff_shexp > 0) shared_expert(b, s, moe.n_ff_shexp, options.plain_sigmoid_gate);
    s.ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
    s.ops.push_back(Record{Slot::x, n_embd, "ffn_residual"});
}

}  // namespace gguf::forward::architectures
