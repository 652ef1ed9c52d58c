// qwen35's gated delta-net (validate/forward/src/ops_delta_net.cpp are the CPU twins): the causal conv
// over time with its carried window, then SiLU; the delta rule over each v head's state matrix; the SiLU
// gate of its output norm. Each float step is rounded on its own (no fused multiply-adds), in the CPU's
// order where it is sequential; sums of squares are accumulated in double as on the CPU.
#include <cstdint>

#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

__device__ float silu(float x) { return __fdiv_rn(x, __fadd_rn(1.0f, expf(-x))); }

// One thread per channel: the channel's sequence is its d_conv - 1 carried inputs, then the new ones.
__global__ void causal_conv_silu_kernel(float* __restrict__ out, const float* __restrict__ x, const float* __restrict__ taps,
                                        float* __restrict__ state, std::uint64_t n_tokens, std::uint64_t channels,
                                        std::uint64_t d_conv) {
    const std::uint64_t c = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
    if (c >= channels) return;
    const std::uint64_t history = d_conv - 1;
    float* carried = state + c * history;
    const float* w = taps + c * d_conv;
    const auto input = [&](std::uint64_t i) { return i < history ? carried[i] : x[(i - history) * channels + c]; };
    for (std::uint64_t t = 0; t < n_tokens; ++t) {
        float sum = 0.0f;
        for (std::uint64_t k = 0; k < d_conv; ++k) sum = __fadd_rn(sum, __fmul_rn(input(t + k), w[k]));
        out[t * channels + c] = silu(sum);
    }
    // The last d_conv - 1 inputs become the window; entry j reads entry n_tokens + j >= j + 1, not yet
    // overwritten.
    for (std::uint64_t j = 0; j < history; ++j) carried[j] = input(n_tokens + j);
}

// x / sqrt(sum(x^2) + eps) over `width` values as ops::l2_norm computes it: the scale of an RMSNorm with
// eps / width, then 1 / sqrt(width). Thread 0 sums in order, in double.
__device__ void l2_scale(const float* x, std::uint64_t width, float eps, float* scale) {
    double sum = 0;
    for (std::uint64_t i = 0; i < width; ++i) sum += static_cast<double>(x[i]) * x[i];
    const float n = static_cast<float>(width);
    const float mean = static_cast<float>(sum / static_cast<double>(width));
    *scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(mean, __fdiv_rn(eps, n))));
}

// Block h runs v head h over every token; thread j owns row j of the head's state (state[h][j][i] = S[i][j]),
// so threads share only the token's q and k, which are staged in shared memory.
__global__ void delta_net_kernel(float* __restrict__ out, const float* __restrict__ qkv, const float* __restrict__ alpha,
                                 const float* __restrict__ beta, const float* __restrict__ dt_bias,
                                 const float* __restrict__ ssm_a, float* __restrict__ state, std::uint64_t n_tokens,
                                 std::uint64_t n_k_heads, std::uint64_t n_v_heads, std::uint64_t d, float eps) {
    extern __shared__ float shared[];
    float* q = shared;
    float* k = shared + d;
    __shared__ float q_scale, k_scale, decay, strength;
    const std::uint64_t h = blockIdx.x, kh = h % n_k_heads;
    const std::uint64_t key = n_k_heads * d, row_width = 2 * key + n_v_heads * d;
    const float tail = __fdiv_rn(1.0f, __fsqrt_rn(static_cast<float>(d)));
    const float out_scale = tail;  // 1 / sqrt(head_dim), the delta rule's query scale
    const std::uint64_t j = threadIdx.x;
    float* m = state + (h * d + j) * d;
    for (std::uint64_t t = 0; t < n_tokens; ++t) {
        const float* r = qkv + t * row_width;
        for (std::uint64_t i = threadIdx.x; i < d; i += blockDim.x) {
            q[i] = r[kh * d + i];
            k[i] = r[key + kh * d + i];
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            l2_scale(q, d, eps, &q_scale);
            l2_scale(k, d, eps, &k_scale);
            // ops::delta_net_gates: ggml's softplus (x itself above 20), then the sigmoid.
            const float x = __fadd_rn(alpha[t * n_v_heads + h], dt_bias[h]);
            const float softplus = x > 20.0f ? x : logf(__fadd_rn(1.0f, expf(x)));
            decay = expf(__fmul_rn(softplus, ssm_a[h]));
            strength = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-beta[t * n_v_heads + h])));
        }
        __syncthreads();
        for (std::uint64_t i = threadIdx.x; i < d; i += blockDim.x) {
            q[i] = __fmul_rn(__fmul_rn(q[i], q_scale), tail);
            k[i] = __fmul_rn(__fmul_rn(k[i], k_scale), tail);
        }
        __syncthreads();
        if (j < d) {
            float dot = 0.0f;
            for (std::uint64_t i = 0; i < d; ++i) {
                m[i] = __fmul_rn(m[i], decay);
                dot = __fadd_rn(dot, __fmul_rn(m[i], k[i]));
            }
            const float v = r[2 * key + h * d + j];
            const float delta = __fmul_rn(__fsub_rn(v, dot), strength);
            float o = 0.0f;
            for (std::uint64_t i = 0; i < d; ++i) {
                m[i] = __fadd_rn(m[i], __fmul_rn(delta, k[i]));
                o = __fadd_rn(o, __fmul_rn(m[i], q[i]));
            }
            out[t * n_v_heads * d + h * d + j] = __fmul_rn(o, out_scale);
        }
        __syncthreads();  // q and k are restaged for the next token
    }
}

__global__ void silu_gate_kernel(float* x, const float* __restrict__ gate, std::uint64_t n) {
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads)
        x[i] = __fmul_rn(x[i], silu(gate[i]));
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

void causal_conv_silu_forward(float* out, const float* x, const float* taps, float* state, std::uint64_t n_tokens,
                              std::uint64_t channels, std::uint64_t d_conv, cudaStream_t stream) {
    if (n_tokens == 0 || channels == 0) return;
    if (d_conv == 0 || out == x) fail("causal conv: needs d_conv >= 1 and an output apart from its input", "causal_conv_silu_forward", __FILE__, __LINE__);
    const std::uint64_t blocks = (channels + kThreads - 1) / kThreads;
    causal_conv_silu_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(out, x, taps, state, n_tokens, channels, d_conv);
    check_launch();
}

void delta_net_forward(float* out, const float* qkv, const float* alpha, const float* beta, const float* dt_bias,
                       const float* ssm_a, float* state, std::uint64_t n_tokens, std::uint64_t n_k_heads,
                       std::uint64_t n_v_heads, std::uint64_t head_dim, float eps, cudaStream_t stream) {
    if (n_tokens == 0) return;
    if (n_k_heads == 0 || n_v_heads % n_k_heads != 0 || head_dim == 0 || head_dim > 1024)
        fail("delta net: head counts or head size not supported", "delta_net_forward", __FILE__, __LINE__);
    const unsigned threads = static_cast<unsigned>((head_dim + 31) / 32 * 32);
    const std::size_t shared = 2 * head_dim * sizeof(float);
    delta_net_kernel<<<static_cast<unsigned>(n_v_heads), threads, shared, stream>>>(
        out, qkv, alpha, beta, dt_bias, ssm_a, state, n_tokens, n_k_heads, n_v_heads, head_dim, eps);
    check_launch();
}

void silu_gate_forward(float* x, const float* gate, std::uint64_t n, cudaStream_t stream) {
    if (n == 0) return;
    launch_grid_stride(silu_gate_kernel, kThreads, n, kThreads, stream, x, gate, n);
    check_launch();
}

}  // namespace gguf::cuda
