// The fused dequantize-and-multiply of generation: a few tokens times a weight matrix read in its file
// encoding, so each step moves the quantized bytes (4.5 bits a weight for Q4_K) instead of float32.
// Every weight is decoded by the same device decoder as the dequant kernel (bit-identical to the CPU's)
// and multiplied in FP32; only the order of the additions differs from a dense product.
#include <cstdint>
#include <type_traits>

#include "kernels.hpp"
#include "launch.cuh"
#include "quant_blocks.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / 32;  // one warp per output row

// The 8 weights of group g of a row. Plain types are read with aligned vector loads (rows of plain
// types start 16-byte aligned: n_in % 8 == 0 and the matrix base is aligned).
template <class Q>
__device__ __forceinline__ void weights8(const std::uint8_t* row, std::uint64_t g, float (&w)[8]) {
    if constexpr (std::is_same_v<Q, blocks::F32>) {
        const float4* p = reinterpret_cast<const float4*>(row) + 2 * g;
        const float4 a = __ldg(p), b = __ldg(p + 1);
        w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w, w[4] = b.x, w[5] = b.y, w[6] = b.z, w[7] = b.w;
    } else if constexpr (std::is_same_v<Q, blocks::F16> || std::is_same_v<Q, blocks::BF16>) {
        const uint4 h = __ldg(reinterpret_cast<const uint4*>(row) + g);
        const std::uint32_t words[4] = {h.x, h.y, h.z, h.w};
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const auto lo = static_cast<std::uint16_t>(words[k] & 0xFFFFu), hi = static_cast<std::uint16_t>(words[k] >> 16);
            if constexpr (std::is_same_v<Q, blocks::F16>) {
                w[2 * k] = fp16_to_fp32(lo);
                w[2 * k + 1] = fp16_to_fp32(hi);
            } else {
                w[2 * k] = bf16_to_fp32(lo);
                w[2 * k + 1] = bf16_to_fp32(hi);
            }
        }
    } else {
        constexpr int kGroups = Q::values / 8;
        Q::decode8(row + (g / kGroups) * Q::bytes, static_cast<int>(g % kGroups), w);
    }
}

template <class Q>
__global__ void __launch_bounds__(kThreads) matvec_kernel(const std::uint8_t* __restrict__ w, std::uint64_t row_bytes,
                                                          std::uint64_t n_in, std::uint64_t n_out,
                                                          const float* __restrict__ x, int n_tokens,
                                                          float* __restrict__ y) {
    const std::uint64_t row = static_cast<std::uint64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= n_out) return;
    const std::uint8_t* wrow = w + row * row_bytes;
    float acc[kMatvecMaxTokens] = {};
    const std::uint64_t groups = n_in / 8;
    for (std::uint64_t g = lane; g < groups; g += 32) {
        float wv[8];
        weights8<Q>(wrow, g, wv);
#pragma unroll
        for (int t = 0; t < kMatvecMaxTokens; ++t) {
            if (t < n_tokens) {
                const float4* xp = reinterpret_cast<const float4*>(x + t * n_in + 8 * g);
                const float4 a = __ldg(xp), b = __ldg(xp + 1);
                float s = acc[t];
                s = fmaf(wv[0], a.x, s), s = fmaf(wv[1], a.y, s), s = fmaf(wv[2], a.z, s), s = fmaf(wv[3], a.w, s);
                s = fmaf(wv[4], b.x, s), s = fmaf(wv[5], b.y, s), s = fmaf(wv[6], b.z, s), s = fmaf(wv[7], b.w, s);
                acc[t] = s;
            }
        }
    }
#pragma unroll
    for (int t = 0; t < kMatvecMaxTokens; ++t) {
        if (t < n_tokens) {
            float s = acc[t];
            for (int offset = 16; offset > 0; offset /= 2) s += __shfl_xor_sync(0xFFFFFFFFu, s, offset);
            if (lane == 0) y[static_cast<std::uint64_t>(t) * n_out + row] = s;
        }
    }
}

template <class Q>
std::uint64_t row_bytes_of(std::uint64_t n_in) {
    if constexpr (blocks::PlainType<Q>) return n_in * Q::element_bytes;
    else return n_in / Q::values * Q::bytes;
}

template <class F>
bool visit_any(std::uint32_t type, F&& f) {
    return blocks::visit_quant(type, f) || blocks::visit_plain(type, f);
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

bool matvec_supported(std::uint32_t type, std::uint64_t n_in) {
    bool ok = false;
    visit_any(type, [&](auto q) {
        using Q = decltype(q);
        ok = n_in > 0 && n_in % 8 == 0 && n_in % Q::values == 0;
    });
    return ok;
}

void matvec(std::uint32_t type, const void* w, std::uint64_t n_in, std::uint64_t n_out, const float* x, int n_tokens,
            float* y, cudaStream_t stream) {
    if (!matvec_supported(type, n_in) || n_tokens < 1 || n_tokens > kMatvecMaxTokens ||
        (reinterpret_cast<std::uintptr_t>(x) & 15u) != 0 || (reinterpret_cast<std::uintptr_t>(w) & 15u) != 0)
        fail("matvec: unsupported type, row length, token count or alignment", "matvec", __FILE__, __LINE__);
    if (n_out == 0) return;
    visit_any(type, [&](auto q) {
        using Q = decltype(q);
        const auto blocks_needed = static_cast<unsigned>((n_out + kRowsPerBlock - 1) / kRowsPerBlock);
        matvec_kernel<Q><<<blocks_needed, kThreads, 0, stream>>>(static_cast<const std::uint8_t*>(w), row_bytes_of<Q>(n_in),
                                                                 n_in, n_out, x, n_tokens, y);
    });
    check_launch();
}

}  // namespace gguf::cuda
