// Causal grouped-query attention over the KV cache, as the CPU's ops::causal_attention computes it:
// scores = scale * q k^T per head (query head h reads key/value head h / (n_head / n_head_kv)), keys
// after the query's position masked (and those a sliding window hides), softmax (sum in double; a head's
// sink logit, when given, joins the maximum and the sum), context = P v.
//
// The two products are cuBLAS strided-batched GEMMs with one batch entry per key/value head. For that
// the queries are first laid out head-major, [n_head][rows][head_dim]: the query heads of one group are
// then one contiguous [group * rows][head_dim] matrix against the group's keys. The context comes back
// head-major and is laid out token-major again for the output projection.
#include <cstdint>

#include "../blas.hpp"
#include "kernels.hpp"
#include "launch.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

// dst[h][r][d] = src[first_row + r][h * head_dim + d]
__global__ void to_head_major_kernel(float* __restrict__ dst, const float* __restrict__ src, std::uint64_t first_row,
                                     std::uint64_t rows, std::uint64_t n_head, std::uint64_t head_dim) {
    const std::uint64_t total = rows * n_head * head_dim;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < total;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t d = i % head_dim, h = i / head_dim % n_head, r = i / (head_dim * n_head);
        dst[(h * rows + r) * head_dim + d] = src[i + first_row * n_head * head_dim];
    }
}

// dst[first_row + r][h * head_dim + d] = src[h][r][d]
__global__ void to_token_major_kernel(float* __restrict__ dst, const float* __restrict__ src, std::uint64_t first_row,
                                      std::uint64_t rows, std::uint64_t n_head, std::uint64_t head_dim) {
    const std::uint64_t total = rows * n_head * head_dim;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < total;
         i += static_cast<std::uint64_t>(gridDim.x) * kThreads) {
        const std::uint64_t d = i % head_dim, h = i / head_dim % n_head, r = i / (head_dim * n_head);
        dst[i + first_row * n_head * head_dim] = src[(h * rows + r) * head_dim + d];
    }
}

template <class T, class Op>
__device__ T block_reduce(T value, Op op, T* shared) {
    for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xFFFFFFFFu, value, offset));
    if (threadIdx.x % 32 == 0) shared[threadIdx.x / 32] = value;
    __syncthreads();
    T result = shared[0];
    for (int w = 1; w < kThreads / 32; ++w) result = op(result, shared[w]);
    __syncthreads();
    return result;
}

// One block per score row (head h, query r): keys past the query's position are masked, then the row
// becomes exp(x - max) / sum with the sum in double and the division done as a multiplication by the
// float reciprocal, as ops::softmax does.
__global__ void __launch_bounds__(kThreads) masked_softmax_kernel(float* scores, std::uint64_t rows, std::uint64_t n_kv,
                                                                  std::uint64_t first_visible, std::uint64_t window,
                                                                  const float* __restrict__ sinks) {
    __shared__ float max_shared[kThreads / 32];
    __shared__ double sum_shared[kThreads / 32];
    const std::uint64_t r = blockIdx.x % rows;
    float* row = scores + static_cast<std::uint64_t>(blockIdx.x) * n_kv;
    const std::uint64_t visible = first_visible + r;  // keys lo .. visible-1
    const std::uint64_t lo = window > 0 && visible > window ? visible - window : 0;
    float m = -INFINITY;
    for (std::uint64_t j = lo + threadIdx.x; j < visible; j += kThreads) m = fmaxf(m, row[j]);
    m = block_reduce(m, [](float a, float b) { return fmaxf(a, b); }, max_shared);
    // A head's sink joins the maximum and the sum but weights no value (ggml_soft_max_add_sinks).
    const float sink = sinks ? sinks[blockIdx.x / rows] : -INFINITY;
    m = fmaxf(m, sink);
    double sum = 0;
    for (std::uint64_t j = threadIdx.x; j < n_kv; j += kThreads) {
        const float e = j >= lo && j < visible ? expf(__fsub_rn(row[j], m)) : 0.0f;
        row[j] = e;
        sum += e;
    }
    sum = block_reduce(sum, [](double a, double b) { return a + b; }, sum_shared);
    if (sinks) sum += expf(__fsub_rn(sink, m));
    const float inverse = static_cast<float>(1.0 / sum);
    for (std::uint64_t j = threadIdx.x; j < n_kv; j += kThreads) row[j] = __fmul_rn(row[j], inverse);
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

std::uint64_t attention_workspace_floats(const AttentionDims& d, std::uint64_t rows, std::uint64_t n_kv) {
    return d.n_head * rows * (d.head_dim + n_kv + d.head_dim_v);
}

void attention_forward(Blas& blas, const float* q, const float* k, const float* v, std::uint64_t n_tokens,
                       std::uint64_t n_kv, std::uint64_t first_position, const AttentionDims& d, float scale, float* out,
                       float* workspace, std::uint64_t rows, cudaStream_t stream, std::uint64_t window, float softcap,
                       const float* sinks) {
    if (d.n_head_kv == 0 || d.n_head % d.n_head_kv != 0 || first_position + n_tokens > n_kv || rows == 0)
        fail("attention: bad head counts or positions", "attention_forward", __FILE__, __LINE__);
    const std::uint64_t group = d.n_head / d.n_head_kv;
    const auto k_width = static_cast<std::int64_t>(d.n_head_kv * d.head_dim);
    const auto v_width = static_cast<std::int64_t>(d.n_head_kv * d.head_dim_v);
    const auto hd = static_cast<std::int64_t>(d.head_dim), hd_v = static_cast<std::int64_t>(d.head_dim_v);
    const auto kv = static_cast<std::int64_t>(n_kv);

    for (std::uint64_t t0 = 0; t0 < n_tokens; t0 += rows) {
        const std::uint64_t R = std::min(rows, n_tokens - t0);
        float* qh = workspace;                          // [n_head][R][head_dim]
        float* scores = qh + d.n_head * R * d.head_dim;  // [n_head][R][n_kv]
        float* oh = scores + d.n_head * R * n_kv;        // [n_head][R][head_dim_v]
        const auto gR = static_cast<std::int64_t>(group * R);

        launch_grid_stride(to_head_major_kernel, kThreads, R * d.n_head * d.head_dim, kThreads, stream,
                           qh, q, t0, R, d.n_head, d.head_dim);
        check_launch();
        // Per key/value head g, column-major: S_g [n_kv][group*R] = K_g^T-as-stored (op T) x Qh_g.
        // Soft-capped scores are capped raw and scaled after, in the CPU's order.
        const bool capped = softcap > 0.0f;
        blas.strided_batched(true, false, kv, gR, hd, capped ? 1.0f : scale, k, k_width, hd, qh, hd, gR * hd, 0.0f, scores, kv,
                             gR * kv, static_cast<std::int64_t>(d.n_head_kv));
        if (capped) {
            softcap_forward(scores, softcap, d.n_head * R * n_kv, stream);
            if (scale != 1.0f) scale_forward(scores, scale, d.n_head * R * n_kv, stream);
        }
        masked_softmax_kernel<<<static_cast<unsigned>(d.n_head * R), kThreads, 0, stream>>>(scores, R, n_kv,
                                                                                            first_position + t0 + 1, window, sinks);
        check_launch();
        // O_g [head_dim_v][group*R] = V_g [head_dim_v][n_kv] x P_g^T [n_kv][group*R].
        blas.strided_batched(false, false, hd_v, gR, kv, 1.0f, v, v_width, hd_v, scores, kv, gR * kv, 0.0f, oh, hd_v,
                             gR * hd_v, static_cast<std::int64_t>(d.n_head_kv));
        launch_grid_stride(to_token_major_kernel, kThreads, R * d.n_head * d.head_dim_v, kThreads, stream,
                           out, oh, t0, R, d.n_head, d.head_dim_v);
        check_launch();
    }
}

}  // namespace gguf::cuda
