// The launchers of every kernel of the GPU pass, callable from host C++ (forward.cu, tests, benchmarks).
// Each op lives in kernels/<op>.cu: its kernels first, then a "Kernel launchers" section that sizes the
// grid, launches, and checks the launch. Activations are float32, row-major [rows][width], as in the
// CPU ops (gguf/forward/ops.hpp), which are the twins these are tested against.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace gguf::cuda {

class Blas;

// ---- dequant.cu ----

// Whether `type` has GPU decoders (the types gguf::dequant decodes).
bool can_dequantize(std::uint32_t type);

// Decodes `n_values` values from little-endian blocks (a whole number of blocks) into `out` (16-byte
// aligned), bit-identical to the CPU decoders.
void dequantize(std::uint32_t type, const void* blocks, std::uint64_t n_values, float* out, cudaStream_t stream);

// out[r] = row ids[r] of a [n_rows][n_in] matrix of `type` (ggml_get_rows): the embedding lookup.
// Rows are decoded in place from the matrix's blocks.
void get_rows(std::uint32_t type, const void* matrix, std::uint64_t n_in, const std::int32_t* ids, std::uint64_t n_ids,
              float* out, cudaStream_t stream);

// ---- matvec.cu ----

// Tokens one fused product handles; larger batches dequantize the matrix and use cuBLAS.
inline constexpr int kMatvecMaxTokens = 8;

// Whether the fused product reads `type` with rows of n_in values (plain types need n_in % 8 == 0).
bool matvec_supported(std::uint32_t type, std::uint64_t n_in);

// y[t][o] = sum_i x[t][i] * w[o][i] for t < n_tokens <= kMatvecMaxTokens, decoding each weight from its
// block as it is read (the decode of generation, bandwidth-bound). w: [n_out] rows of n_in values of
// `type`; x: [n_tokens][n_in] (16-byte aligned); y: [n_tokens][n_out]. FP32 multiply-adds.
void matvec(std::uint32_t type, const void* w, std::uint64_t n_in, std::uint64_t n_out, const float* x, int n_tokens,
            float* y, cudaStream_t stream);

// ---- rmsnorm.cu ----

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, each of `rows` rows of `width` (ops::rms_norm).
// `out` may alias `x`.
void rmsnorm_forward(float* out, const float* x, const float* weight, std::uint64_t rows, std::uint64_t width, float eps,
                     cudaStream_t stream);

// ---- rope.cu ----

// Rotates the first n_rot dimensions of every head of x [n_tokens][n_heads * head_dim] in place (ops::rope);
// cos/sin hold the n_rot/2 angles of each token's position, [n_tokens][n_rot / 2] (ops::rope_angles).
void rope_forward(float* x, std::uint64_t n_tokens, std::uint64_t n_heads, std::uint64_t head_dim, std::uint32_t n_rot,
                  bool neox, const float* cos, const float* sin, cudaStream_t stream);

// ---- attention.cu ----

struct AttentionDims {
    std::uint64_t n_head = 0, n_head_kv = 0, head_dim = 0, head_dim_v = 0;
};

// Floats of scratch attention_forward needs to process `rows` query tokens at a time against n_kv keys.
std::uint64_t attention_workspace_floats(const AttentionDims& dims, std::uint64_t rows, std::uint64_t n_kv);

// Causal GQA attention (ops::causal_attention): q [n_tokens][n_head * head_dim], the cache's
// k [n_kv][n_head_kv * head_dim] and v [n_kv][n_head_kv * head_dim_v], query t at position
// first_position + t; out [n_tokens][n_head * head_dim_v]. Scores and context are cuBLAS products;
// the masked softmax is a kernel. Query tokens are processed `rows` at a time in `workspace`.
// `window` > 0 also hides keys `window` or more positions before the query (ops::sliding_window_masks).
// `softcap` > 0 soft-caps the raw scores before the scale (ops::causal_attention_ext). `sinks` (device,
// n_head floats, or null): each head's sink logit joins its softmax rows' maximum and sum without
// weighting a value (ops::AttentionExtras::sinks).
void attention_forward(Blas& blas, const float* q, const float* k, const float* v, std::uint64_t n_tokens,
                       std::uint64_t n_kv, std::uint64_t first_position, const AttentionDims& dims, float scale,
                       float* out, float* workspace, std::uint64_t rows, cudaStream_t stream, std::uint64_t window = 0,
                       float softcap = 0.0f, const float* sinks = nullptr);

// ---- swiglu.cu ----

// out = silu(gate) * up, elementwise (ops::swiglu). `out` may alias `gate`.
void swiglu_forward(float* out, const float* gate, const float* up, std::uint64_t n, cudaStream_t stream);

// ---- swiglu_clamped.cu ----

// gpt-oss's clamped SwiGLU, elementwise (ops::swiglu_clamped). `out` may alias `gate`.
void swiglu_clamped_forward(float* out, const float* gate, const float* up, std::uint64_t n, float alpha, float limit,
                            cudaStream_t stream);

// ---- geglu.cu ----

// Entries of the GELU table geglu_forward reads: entry h is ops::gelu_tanh of the half-precision value
// with bits h, rounded to half precision (ggml's CPU table).
inline constexpr std::uint64_t kGeluTableSize = 65536;

// out = gelu(gate) * up, elementwise (ops::geglu with ggml_cpu_table): 0 for gate <= -10, gate itself
// for gate >= 10, else the table entry of gate rounded to half precision. `out` may alias `gate`.
void geglu_forward(float* out, const float* gate, const float* up, const float* gelu_table, std::uint64_t n,
                   cudaStream_t stream);

// ---- moe.cu ----

// out[i] = row rows[i] of x [..][width], for i < n_rows: the tokens one expert multiplies, gathered.
void gather_rows_forward(float* out, const float* x, const std::int32_t* rows, std::uint64_t n_rows, std::uint64_t width,
                         cudaStream_t stream);

// out[t] = sum over r < k of y[position[t * k + r]] * weights[t * weight_stride + r], in rank order
// (ops::combine_experts): out [n_tokens][width], y [n_tokens * k][width] in grouped order.
void combine_experts_forward(float* out, const float* y, const std::int32_t* position, const float* weights,
                             std::uint64_t weight_stride, std::uint64_t n_tokens, std::uint64_t k, std::uint64_t width,
                             cudaStream_t stream);

// x[t][i] *= silu(gate[t]) / gate[t] over n_tokens rows of `width` (ops::shared_expert_gate); with
// plain_sigmoid, x[t][i] *= 1 / (1 + exp(-gate[t])) (ops::shared_expert_sigmoid).
void shared_expert_gate_forward(float* x, const float* gate, std::uint64_t n_tokens, std::uint64_t width, bool plain_sigmoid,
                                cudaStream_t stream);

// ---- elementwise.cu ----

// x *= factor (ggml_scale).
void scale_forward(float* x, float factor, std::uint64_t n, cudaStream_t stream);

// x = tanh(x * (1 / cap)) * cap (ops::softcap).
void softcap_forward(float* x, float cap, std::uint64_t n, cudaStream_t stream);

// x[t] *= the attention temperature of position first_position + t (ops::scale_by_temperature), rows of
// `width` values (temperature.cu).
void temperature_forward(float* x, std::uint64_t n_tokens, std::uint64_t width, std::uint64_t first_position, float scale,
                         std::uint64_t interval, cudaStream_t stream);

// out = a + b (ops::add); `out` may alias either.
void add_forward(float* out, const float* a, const float* b, std::uint64_t n, cudaStream_t stream);

// x[r] += bias for each of `rows` rows of `width` (ops::add_bias).
void add_bias_forward(float* x, const float* bias, std::uint64_t rows, std::uint64_t width, cudaStream_t stream);

// ---- gates.cu ----

// out = in * sigmoid(gate), elementwise (ops::sigmoid_gate). `out` may alias `in`.
void sigmoid_gate_forward(float* out, const float* in, const float* gate, std::uint64_t n, cudaStream_t stream);

// first/second [n_tokens][n_heads * head_dim] = the first/second half of each head of 2 * head_dim values
// of in [n_tokens][n_heads * 2 * head_dim] (forward::SplitHeads).
void split_heads_forward(float* first, float* second, const float* in, std::uint64_t n_tokens, std::uint64_t n_heads,
                         std::uint64_t head_dim, cudaStream_t stream);

// ---- slice.cu ----

// out [n_tokens][width] = columns [offset, offset + width) of in [n_tokens][in_width] (forward::Slice).
void slice_forward(float* out, const float* in, std::uint64_t n_tokens, std::uint64_t in_width, std::uint64_t offset,
                   std::uint64_t width, cudaStream_t stream);

// ---- delta_net.cu ----

// out = silu(causal conv of x [n_tokens][channels] with taps [channels][d_conv]), continuing from and
// advancing state [channels][d_conv - 1] (ops::causal_conv1d, then SiLU). `out` must not alias `x`.
void causal_conv_silu_forward(float* out, const float* x, const float* taps, float* state, std::uint64_t n_tokens,
                              std::uint64_t channels, std::uint64_t d_conv, cudaStream_t stream);

// The gated delta rule (forward::DeltaNet): q, k, v are the first (2 n_k_heads + n_v_heads) head_dim
// values of each row of qkv; q and k L2-normalised with eps (ops::l2_norm), the gates from alpha and beta
// [n_tokens][n_v_heads] with dt_bias and ssm_a (ops::delta_net_gates), the rule over state
// [n_v_heads][head_dim][head_dim] (ops::gated_delta_net) into out [n_tokens][n_v_heads * head_dim].
void delta_net_forward(float* out, const float* qkv, const float* alpha, const float* beta, const float* dt_bias,
                       const float* ssm_a, float* state, std::uint64_t n_tokens, std::uint64_t n_k_heads,
                       std::uint64_t n_v_heads, std::uint64_t head_dim, float eps, cudaStream_t stream);

// x *= silu(gate), elementwise: the gate of ops::gated_rms_norm after rmsnorm_forward.
void silu_gate_forward(float* x, const float* gate, std::uint64_t n, cudaStream_t stream);

}  // namespace gguf::cuda

namespace gguf::cuda {

// ---- elementwise.cu ----

// cudaSuccess when this build's kernels can run on the current device (its architecture is one the
// build compiled for, or a newer one that can compile the embedded PTX).
cudaError_t kernel_image_status();

}  // namespace gguf::cuda
