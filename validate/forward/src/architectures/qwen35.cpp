// qwen35 (src/models/qwen35.cpp and the delta-net helpers of src/models/delta-net-base.cpp): hybrid
// blocks. Every block: RMSNorm(attn_norm), a token mixer, the residual add, RMSNorm(post_attention_norm)
// and a SwiGLU feed-forward with its residual add. The mixer is a gated delta-net on the recurrent blocks
// (spec.layer_kinds) and gated full attention on the others:
//   delta-net: attn_qkv -> causal conv (ssm_conv1d, carried window) -> SiLU -> q, k, v; L2-normalised
//     q and k; decay softplus(ssm_alpha x + ssm_dt.bias) * ssm_a and strength sigmoid(ssm_beta x) per v
//     head; the delta rule over the carried state; RMSNorm(ssm_norm) per head times silu(attn_gate x);
//     ssm_out.
//   attention: attn_q yields a query half and a gate half per head; per-head q/k norms; multi-section
//     RoPE (interleaved sections, text positions); attention; times sigmoid(gate); attn_output.
// The NextN/MTP blocks after the main ones are not part of the main pass and are not bound.
#include <fmt/format.h>

#include "architectures.hpp"
#include "blocks.hpp"
#include "experts.hpp"

namespace gguf::forward::architectures {
namespace {

void delta_net_mixer(Build& b, std::uint64_t il) {
    const model::ModelSpec& m = b.spec;
    const model::SsmSpec& ssm = m.ssm;
    Scope s = b.layer(il);
    WeightSet& w = s.weights;
    const std::uint64_t n_embd = m.n_embd, d = ssm.head_k_dim(), n_k = ssm.n_k_heads(), n_v = ssm.n_v_heads();
    const std::uint64_t channels = ssm.conv_channels(), value_dim = ssm.value_dim();
    const int qkv = b.bind.matrix(w, s.tensor("attn_qkv.weight"), n_embd, channels);
    const int z = b.bind.matrix(w, s.tensor("attn_gate.weight"), n_embd, value_dim);
    const int beta = b.bind.matrix(w, s.tensor("ssm_beta.weight"), n_embd, n_v);
    const int alpha = b.bind.matrix(w, s.tensor("ssm_alpha.weight"), n_embd, n_v);
    const int taps = b.bind.values(w, s.tensor("ssm_conv1d.weight"), {ssm.d_conv, channels});
    const int dt_bias = b.bind.vector(w, s.tensor("ssm_dt.bias"), n_v, true);
    const int ssm_a = b.bind.vector(w, s.tensor("ssm_a"), n_v, true);
    const int norm = b.bind.vector(w, s.tensor("ssm_norm.weight"), d, true);
    const int out = b.bind.matrix(w, s.tensor("ssm_out.weight"), value_dim, n_embd);
    const float eps = b.params.rms_eps;

    std::vector<Op>& ops = s.ops;
    ops.push_back(Linear{Slot::fused, Slot::xn, qkv});
    ops.push_back(Record{Slot::fused, channels, "ssm_qkv"});
    ops.push_back(Linear{Slot::gate, Slot::xn, z});
    ops.push_back(Record{Slot::gate, value_dim, "ssm_z"});
    ops.push_back(Linear{Slot::beta, Slot::xn, beta});
    ops.push_back(Record{Slot::beta, n_v, "ssm_beta"});
    ops.push_back(Linear{Slot::alpha, Slot::xn, alpha});
    ops.push_back(Record{Slot::alpha, n_v, "ssm_alpha"});
    ops.push_back(CausalConv{Slot::conv, Slot::fused, channels, ssm.d_conv, taps});
    ops.push_back(Record{Slot::conv, channels, "ssm_conv"});
    const ops::DeltaNetShape shape{n_k, n_v, d};
    ops.push_back(DeltaNet{Slot::att, Slot::conv, Slot::alpha, Slot::beta, shape, dt_bias, ssm_a, eps});
    ops.push_back(Record{Slot::att, value_dim, "ssm_delta"});
    ops.push_back(GatedRmsNorm{Slot::att, Slot::att, Slot::gate, value_dim, d, norm, eps});
    ops.push_back(Record{Slot::att, value_dim, "ssm_gated_norm"});
    ops.push_back(Linear{Slot::proj, Slot::att, out});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    LayerProgram& layer = b.arch.program.layers[il];
    layer.conv_state = channels * (ssm.d_conv - 1);
    layer.delta_state = n_v * d * d;
}

void gated_attention_mixer(Build& b, std::uint64_t il) {
    const model::ModelSpec& m = b.spec;
    Scope s = b.layer(il);
    WeightSet& w = s.weights;
    const std::uint64_t n_embd = m.n_embd, hd = m.head_dim, n_q = m.n_head * hd, n_k = m.n_head_kv * hd;
    if (b.bind.has(s.tensor("attn_qkv.weight")))
        b.bind.reject("fused attn_qkv tensors of full-attention blocks are not supported by the reference forward pass");
    const int wq = b.bind.matrix(w, s.tensor("attn_q.weight"), n_embd, 2 * n_q);
    const int wk = b.bind.matrix(w, s.tensor("attn_k.weight"), n_embd, n_k);
    const int wv = b.bind.matrix(w, s.tensor("attn_v.weight"), n_embd, n_k);
    const int bq = b.bind.vector(w, s.tensor("attn_q.bias"), 2 * n_q, false);
    const int bk = b.bind.vector(w, s.tensor("attn_k.bias"), n_k, false);
    const int bv = b.bind.vector(w, s.tensor("attn_v.bias"), n_k, false);
    const int q_norm = b.bind.vector(w, s.tensor("attn_q_norm.weight"), hd, true);
    const int k_norm = b.bind.vector(w, s.tensor("attn_k_norm.weight"), hd, true);
    const int wo = b.bind.matrix(w, s.tensor("attn_output.weight"), n_q, n_embd);
    const float eps = b.params.rms_eps;
    const auto& sections = m.rope.sections;
    const bool interleaved = m.rope.interleaved_sections;

    std::vector<Op>& ops = s.ops;
    ops.push_back(Linear{Slot::fused, Slot::xn, wq, bq});
    ops.push_back(Linear{Slot::k, Slot::xn, wk, bk});
    ops.push_back(Linear{Slot::v, Slot::xn, wv, bv});
    ops.push_back(SplitHeads{Slot::q, Slot::gate, Slot::fused, m.n_head, hd});
    ops.push_back(RmsNorm{Slot::q, Slot::q, n_q, hd, q_norm, eps});
    ops.push_back(RmsNorm{Slot::k, Slot::k, n_k, hd, k_norm, eps});
    ops.push_back(Record{Slot::q, n_q, "q_proj"});
    ops.push_back(Record{Slot::gate, n_q, "attn_gate"});
    ops.push_back(Record{Slot::k, n_k, "k_proj"});
    ops.push_back(RopeMulti{Slot::q, m.n_head, hd, 0, sections, interleaved});
    ops.push_back(Record{Slot::q, n_q, "q"});
    ops.push_back(RopeMulti{Slot::k, m.n_head_kv, hd, 0, sections, interleaved});
    ops.push_back(Record{Slot::k, n_k, "k"});
    ops.push_back(Record{Slot::v, n_k, "v"});
    const ops::AttentionShape shape{m.n_head, m.n_head_kv, hd, hd};
    ops.push_back(Attention{Slot::att, Slot::q, shape, b.params.kq_scale});
    ops.push_back(Record{Slot::att, n_q, "attn"});
    ops.push_back(SigmoidGate{Slot::att, Slot::att, Slot::gate, n_q});
    ops.push_back(Record{Slot::att, n_q, "attn_gated"});
    ops.push_back(Linear{Slot::proj, Slot::att, wo});
    ops.push_back(Record{Slot::proj, n_embd, "attn_out"});
    b.arch.program.layers[il].k_width = n_k;
    b.arch.program.layers[il].v_width = n_k;
}

// The shapes llama.cpp's qwen35 graph asserts or assumes; anything else is refused, naming the keys.
bool supported_shapes(Build& b) {
    const model::ModelSpec& m = b.spec;
    const model::SsmSpec& ssm = m.ssm;
    const std::string arch = m.architecture;
    if (m.head_dim != m.head_dim_v) {
        b.bind.reject(fmt::format("{}: attention.key_length {} and value_length {} differ (llama.cpp rejects the model)",
                                  arch, m.head_dim, m.head_dim_v));
        return false;
    }
    if (m.rope.n_rot > m.head_dim || !m.rope.multi_section()) {
        b.bind.reject(fmt::format("{}: rope.dimension_count {} exceeds key_length {} or rope.dimension_sections is all zero",
                                  arch, m.rope.n_rot, m.head_dim));
        return false;
    }
    if (ssm.d_conv < 1 || ssm.n_group == 0 || ssm.dt_rank == 0 || ssm.dt_rank % ssm.n_group != 0 || ssm.d_state == 0 ||
        ssm.d_inner != ssm.d_state * ssm.dt_rank) {
        b.bind.reject(fmt::format("{}: ssm.* sizes not modelled: conv_kernel {}, state_size {}, group_count {}, "
                                  "time_step_rank {}, inner_size {} (need time_step_rank a multiple of group_count "
                                  "and inner_size = state_size x time_step_rank, as llama.cpp's delta-net assumes)",
                                  arch, ssm.d_conv, ssm.d_state, ssm.n_group, ssm.dt_rank, ssm.d_inner));
        return false;
    }
    return true;
}

// The blocks of qwen35 and qwen35moe, which differ only in their feed-forward block: `ffn` appends it
// (from RMSNorm(post_attention_norm) to the residual add).
void qwen35_blocks(Build& b, void (*ffn)(Build&, std::uint64_t)) {
    if (!supported_shapes(b)) return;
    // The main pass runs the first n_main_layers() blocks; the NextN blocks after them are the MTP head's.
    const std::uint64_t n_main = b.spec.n_main_layers();
    b.arch.program.layers.resize(n_main);
    b.arch.weights.layers.resize(n_main);

    embed_tokens(b);
    const std::uint64_t n_embd = b.spec.n_embd;
    for (std::uint64_t il = 0; il < n_main; ++il) {
        {
            Scope s = b.layer(il);
            const int norm = b.bind.vector(s.weights, s.tensor("attn_norm.weight"), n_embd, true);
            s.ops.push_back(RmsNorm{Slot::xn, Slot::x, n_embd, n_embd, norm, b.params.rms_eps});
            s.ops.push_back(Record{Slot::xn, n_embd, "attn_norm"});
        }
        if (b.spec.is_recurrent(il)) delta_net_mixer(b, il);
        else gated_attention_mixer(b, il);
        Scope s = b.layer(il);
        s.ops.push_back(Add{Slot::x, Slot::x, Slot::proj, n_embd});
        s.ops.push_back(Record{Slot::x, n_embd, "attn_residual"});
        ffn(b, il);
    }
    norm_and_lm_head(b, false);
}

void dense_ffn(Build& b, std::uint64_t il) { pre_norm_swiglu_ffn(b, il, false, "post_attention_norm.weight"); }

// qwen35moe (src/models/qwen35moe.cpp): routed experts (softmax, weights normalised) plus a shared expert
// scaled by ggml_sigmoid of its gate logit.
void moe_ffn(Build& b, std::uint64_t il) {
    pre_norm_moe_ffn(b, il, {.norm = "post_attention_norm.weight", .plain_sigmoid_gate = true});
}

}  // namespace

void build_qwen35(Build& b) { qwen35_blocks(b, dense_ffn); }

void build_qwen35moe(Build& b) {
    if (b.spec.moe.n_ff_shexp == 0) b.bind.reject("qwen35moe: the spec has no shared expert width");
    qwen35_blocks(b, moe_ffn);
}

}  // namespace gguf::forward::architectures
