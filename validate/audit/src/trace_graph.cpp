// The dataflow of docs/trace.md's ops: which records feed which, what each op computes, and the
// weights it reads. Used to say where a divergence can come from.
#include "gguf/container.hpp"
#include "trace_detail.hpp"

namespace gguf::audit::detail {
namespace {

// The record of what a layer's feed-forward block adds to attn_residual: `down`, or for a mixture of
// experts `moe_out` (`ffn_out` when a shared expert is added to it).
std::string ffn_output(const Container& model, std::int32_t layer) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    if (!model.find_tensor(blk + "ffn_gate_inp.weight")) return "down";
    return model.find_tensor(blk + "ffn_gate_inp_shexp.weight") ? "ffn_out" : "moe_out";
}

}  // namespace

std::vector<std::pair<std::int32_t, std::string>> op_inputs(const Container& model, std::int32_t layer, const std::string& op,
                                                             std::uint64_t n_layer) {
    using Input = std::pair<std::int32_t, std::string>;
    const Input x = layer <= 0 ? Input{-1, "embedding"} : Input{layer - 1, "ffn_residual"};
    if (layer < 0) {
        if (op == "output_norm") return {{static_cast<std::int32_t>(n_layer) - 1, "ffn_residual"}};
        if (op == "logits") return {{-1, "output_norm"}};
        return {};
    }
    if (op == "attn_norm") return {x};
    if (op == "q_proj" || op == "k_proj" || op == "v") return {{layer, "attn_norm"}};
    if (op == "q") return {{layer, "q_proj"}};
    if (op == "k") return {{layer, "k_proj"}};
    if (op == "attn") return {{layer, "q"}, {layer, "k"}, {layer, "v"}};
    if (op == "attn_out") return {{layer, "attn"}};
    if (op == "attn_residual") return {x, {layer, "attn_out"}};
    if (op == "ffn_norm") return {{layer, "attn_residual"}};
    if (op == "gate" || op == "up") return {{layer, "ffn_norm"}};
    if (op == "ffn_act") return {{layer, "gate"}, {layer, "up"}};
    if (op == "down") return {{layer, "ffn_act"}};
    if (op == "router_logits" || op == "shexp") return {{layer, "ffn_norm"}};
    if (op == "moe_experts") return {{layer, "router_logits"}};
    if (op == "moe_out") return {{layer, "ffn_norm"}, {layer, "moe_experts"}};
    if (op == "shexp_gated") return {{layer, "ffn_norm"}, {layer, "shexp"}};
    if (op == "ffn_out") return {{layer, "moe_out"}, {layer, "shexp_gated"}};
    if (op == "ffn_residual") return {{layer, "attn_residual"}, {layer, ffn_output(model, layer)}};
    return {};
}

std::string op_description(const std::string& op) {
    if (op == "embedding") return "the embedding lookup (rows of token_embd for the token ids)";
    if (op == "attn_norm" || op == "ffn_norm" || op == "output_norm")
        return "the RMSNorm (x / sqrt(mean(x^2) + eps), eps from the file) times its weight";
    if (op == "q_proj") return "the Q projection (with its bias or per-head norm where the architecture has them)";
    if (op == "k_proj") return "the K projection (with its bias or per-head norm where the architecture has them)";
    if (op == "v") return "the V projection";
    if (op == "q" || op == "k") return "RoPE (pairing, frequency base, scaling, positions)";
    if (op == "attn") return "the attention (q k^T scale, causal mask, softmax, grouped-query head mapping, times v)";
    if (op == "attn_out") return "the attention output projection";
    if (op == "attn_residual") return "the residual add (x + attn_out)";
    if (op == "gate") return "the FFN gate projection";
    if (op == "up") return "the FFN up projection";
    if (op == "ffn_act") return "the activation silu(gate) * up";
    if (op == "down") return "the FFN down projection";
    if (op == "router_logits") return "the router projection";
    if (op == "moe_experts") return "the choice of experts (softmax, top-k, the weights and their normalisation)";
    if (op == "moe_out") return "the chosen experts' SwiGLU feed-forwards, weighted and summed in routing order";
    if (op == "shexp") return "the shared expert's SwiGLU feed-forward";
    if (op == "shexp_gated") return "the shared expert's sigmoid gate";
    if (op == "ffn_out") return "the sum of the routed experts' and the shared expert's outputs";
    if (op == "ffn_residual") return "the residual add (attn_residual + the feed-forward block's output)";
    if (op == "logits") return "the output projection (output.weight, or token_embd when tied)";
    return "this op";
}

std::vector<std::string> op_weights(const Container& model, std::int32_t layer, const std::string& op) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    std::vector<std::string> candidates;
    if (op == "embedding") candidates = {"token_embd.weight"};
    else if (op == "attn_norm") candidates = {blk + "attn_norm.weight"};
    else if (op == "q_proj") candidates = {blk + "attn_q.weight", blk + "attn_q.bias", blk + "attn_q_norm.weight"};
    else if (op == "k_proj") candidates = {blk + "attn_k.weight", blk + "attn_k.bias", blk + "attn_k_norm.weight"};
    else if (op == "v") candidates = {blk + "attn_v.weight", blk + "attn_v.bias"};
    else if (op == "q" || op == "k") candidates = {"rope_freqs.weight"};
    else if (op == "attn_out") candidates = {blk + "attn_output.weight", blk + "attn_output.bias"};
    else if (op == "ffn_norm") candidates = {blk + "ffn_norm.weight"};
    else if (op == "gate") candidates = {blk + "ffn_gate.weight"};
    else if (op == "up") candidates = {blk + "ffn_up.weight"};
    else if (op == "down") candidates = {blk + "ffn_down.weight"};
    else if (op == "router_logits") candidates = {blk + "ffn_gate_inp.weight"};
    else if (op == "moe_out") candidates = {blk + "ffn_gate_exps.weight", blk + "ffn_up_exps.weight", blk + "ffn_down_exps.weight"};
    else if (op == "shexp") candidates = {blk + "ffn_gate_shexp.weight", blk + "ffn_up_shexp.weight", blk + "ffn_down_shexp.weight"};
    else if (op == "shexp_gated") candidates = {blk + "ffn_gate_inp_shexp.weight"};
    else if (op == "output_norm") candidates = {"output_norm.weight"};
    else if (op == "logits")
        candidates = model.find_tensor("output.weight") ? std::vector<std::string>{"output.weight", "output.bias"}
                                                        : std::vector<std::string>{"token_embd.weight"};  // tied
    std::vector<std::string> present;
    for (auto& name : candidates)
        if (model.find_tensor(name)) present.push_back(std::move(name));
    return present;
}

}  // namespace gguf::audit::detail
