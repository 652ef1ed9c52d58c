// Dequantization on the GPU: whole tensors (weights decoded once for the batched products) and rows
// (the embedding lookup). The per-type arithmetic is in quant_blocks.cuh.
#include <cstdint>
#include <type_traits>

#include "kernels.hpp"
#include "launch.cuh"
#include "quant_blocks.cuh"

namespace gguf::cuda {
namespace {

constexpr int kThreads = 256;

// Full occupancy (2048 threads a multiprocessor, so at most 32 registers a thread): a streaming kernel
// wants every load it can have in flight. The decoders fit without spilling (ptxas -v); left to itself,
// nvcc gave four of them 40 registers and six resident blocks.
constexpr int kResidentBlocks = 2048 / kThreads;

// Each thread decodes 8 values; a block of kThreads threads decodes one tile of kThreads * 8 values
// per step. The tile's blocks are first copied to shared memory with 16-byte loads (a tile is a
// multiple of 16 bytes for every type), so each global byte is read once and coalesced, and the
// decoders' byte reads hit shared memory. Stores are two float4 per thread, coalesced.
template <class Q>
__global__ void __launch_bounds__(kThreads, kResidentBlocks)
    dequantize_kernel(const std::uint8_t* __restrict__ in, std::uint64_t n_blocks, float* __restrict__ out) {
    constexpr int kGroups = Q::values / 8;
    constexpr int kTileBlocks = kThreads / kGroups;
    constexpr int kTileBytes = kTileBlocks * Q::bytes;
    static_assert(kTileBytes % 16 == 0);
    __shared__ __align__(16) std::uint8_t tile[kTileBytes];

    const bool aligned = (reinterpret_cast<std::uintptr_t>(in) & 15u) == 0;
    const std::uint64_t n_tiles = (n_blocks + kTileBlocks - 1) / kTileBlocks;
    for (std::uint64_t t = blockIdx.x; t < n_tiles; t += gridDim.x) {
        const std::uint64_t first = t * kTileBlocks;
        const int blocks_here = static_cast<int>(min(static_cast<std::uint64_t>(kTileBlocks), n_blocks - first));
        const std::uint8_t* src = in + first * Q::bytes;
        if (aligned && blocks_here == kTileBlocks) {
            for (int i = threadIdx.x; i < kTileBytes / 16; i += kThreads)
                reinterpret_cast<uint4*>(tile)[i] = __ldg(reinterpret_cast<const uint4*>(src) + i);
        } else {
            for (int i = threadIdx.x; i < blocks_here * Q::bytes; i += kThreads) tile[i] = src[i];
        }
        __syncthreads();
        const int b = threadIdx.x / kGroups, g = threadIdx.x % kGroups;
        if (b < blocks_here) {
            float v[8];
            Q::decode8(tile + b * Q::bytes, g, v);
            float4* dst = reinterpret_cast<float4*>(out + (first + b) * Q::values + 8 * g);
            dst[0] = make_float4(v[0], v[1], v[2], v[3]);
            dst[1] = make_float4(v[4], v[5], v[6], v[7]);
        }
        __syncthreads();
    }
}

// Plain numbers of 1 or 2 bytes, four at a time: each thread reads one quad with a single 4- or 8-byte
// load and writes it as one float4, so a warp's loads and stores are both contiguous. Four quads per
// thread are loaded before any is converted, to keep loads in flight. Through the tiled kernel (whose
// tile holds only 2 KiB of I8 per step, between two barriers) I8 reached 67% of the copy bandwidth and
// I16 74%; by quads 89% and 92% (H100, bench/RESULTS.md). Input aligned to a quad, output to 16 bytes.
template <class P>
__global__ void __launch_bounds__(kThreads) quads_kernel(const std::uint8_t* __restrict__ in, std::uint64_t n_quads,
                                                         float* __restrict__ out) {
    static_assert(P::element_bytes == 1 || P::element_bytes == 2);
    using Quad = std::conditional_t<P::element_bytes == 1, std::uint32_t, uint2>;
    constexpr int kUnroll = 4;
    const auto* quads = reinterpret_cast<const Quad*>(in);
    const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * kThreads;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n_quads;
         i += kUnroll * stride) {
        Quad raw[kUnroll];
#pragma unroll
        for (int k = 0; k < kUnroll; ++k) {
            const std::uint64_t j = i + k * stride;
            if (j < n_quads) raw[k] = __ldg(quads + j);
        }
#pragma unroll
        for (int k = 0; k < kUnroll; ++k) {
            const std::uint64_t j = i + k * stride;
            if (j >= n_quads) break;
            const auto* b = reinterpret_cast<const std::uint8_t*>(&raw[k]);
            reinterpret_cast<float4*>(out)[j] =
                make_float4(P::value(b), P::value(b + P::element_bytes), P::value(b + 2 * P::element_bytes),
                            P::value(b + 3 * P::element_bytes));
        }
    }
}

// Plain numbers: four independent elements per thread and step.
template <class P>
__global__ void __launch_bounds__(kThreads) convert_kernel(const std::uint8_t* __restrict__ in, std::uint64_t n,
                                                           float* __restrict__ out) {
    const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * kThreads;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(kThreads) + threadIdx.x; i < n; i += 4 * stride) {
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const std::uint64_t j = i + k * stride;
            if (j < n) out[j] = P::value(in + j * P::element_bytes);
        }
    }
}

// One thread per 8 values of the gathered rows, reading the matrix's blocks directly.
template <class Q>
__global__ void get_rows_kernel(const std::uint8_t* __restrict__ matrix, std::uint64_t row_bytes, std::uint64_t n_in,
                                const std::int32_t* __restrict__ ids, std::uint64_t n_ids, float* __restrict__ out) {
    const std::uint64_t groups_per_row = n_in / 8;
    const std::uint64_t total = groups_per_row * n_ids;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; i < total;
         i += static_cast<std::uint64_t>(gridDim.x) * blockDim.x) {
        const std::uint64_t r = i / groups_per_row, group = i % groups_per_row;
        const std::uint8_t* row = matrix + static_cast<std::uint64_t>(ids[r]) * row_bytes;
        constexpr int kGroups = Q::values / 8;
        float v[8];
        Q::decode8(row + (group / kGroups) * Q::bytes, static_cast<int>(group % kGroups), v);
        float* dst = out + r * n_in + group * 8;
#pragma unroll
        for (int k = 0; k < 8; ++k) dst[k] = v[k];
    }
}

template <class P>
__global__ void get_rows_plain_kernel(const std::uint8_t* __restrict__ matrix, std::uint64_t n_in,
                                      const std::int32_t* __restrict__ ids, std::uint64_t n_ids, float* __restrict__ out) {
    const std::uint64_t total = n_in * n_ids;
    for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; i < total;
         i += static_cast<std::uint64_t>(gridDim.x) * blockDim.x) {
        const std::uint64_t r = i / n_in, c = i % n_in;
        out[i] = P::value(matrix + (static_cast<std::uint64_t>(ids[r]) * n_in + c) * P::element_bytes);
    }
}

[[noreturn]] void unsupported(std::uint32_t type, const char* where) {
    fail("type " + std::to_string(type) + " has no GPU decoder", where, __FILE__, __LINE__);
}

}  // namespace

// ----------------------------------------------------------------------------
// Kernel launchers

bool can_dequantize(std::uint32_t type) {
    return blocks::visit_quant(type, [](auto) {}) || blocks::visit_plain(type, [](auto) {});
}

void dequantize(std::uint32_t type, const void* in, std::uint64_t n_values, float* out, cudaStream_t stream) {
    if (n_values == 0) return;
    const auto* bytes = static_cast<const std::uint8_t*>(in);
    const bool quant = blocks::visit_quant(type, [&](auto q) {
        using Q = decltype(q);
        if (n_values % Q::values != 0 || (reinterpret_cast<std::uintptr_t>(out) & 15u) != 0)
            fail("dequantize: values not a whole number of blocks, or output not 16-byte aligned", "dequantize", __FILE__,
                 __LINE__);
        const std::uint64_t n_blocks = n_values / Q::values;
        constexpr int kTileBlocks = kThreads / (Q::values / 8);
        launch_grid_stride(dequantize_kernel<Q>, kThreads, n_blocks, kTileBlocks, stream, bytes, n_blocks, out);
    });
    if (!quant && !blocks::visit_plain(type, [&](auto p) {
            using P = decltype(p);
            // The bulk with vector loads and stores, the rest one by one: 1- and 2-byte elements by quads,
            // wider ones in runs of 8 through the tiled kernel (a kernel reading each run of 8 with one
            // vector load, without the tile, was slower for F16, BF16, I16 and I8; bench/RESULTS.md).
            const bool out_aligned = (reinterpret_cast<std::uintptr_t>(out) & 15u) == 0;
            std::uint64_t done = 0;
            if constexpr (P::element_bytes <= 2) {
                const bool in_aligned = reinterpret_cast<std::uintptr_t>(in) % (4 * P::element_bytes) == 0;
                const std::uint64_t quads = out_aligned && in_aligned ? n_values / 4 : 0;
                if (quads > 0)
                    launch_grid_stride(quads_kernel<P>, kThreads, quads, 4 * kThreads, stream, bytes, quads, out);
                done = quads * 4;
            } else {
                const std::uint64_t runs = out_aligned ? n_values / 8 : 0;
                if (runs > 0)
                    launch_grid_stride(dequantize_kernel<P>, kThreads, runs, kThreads, stream, bytes, runs, out);
                done = runs * 8;
            }
            if (done < n_values)
                launch_grid_stride(convert_kernel<P>, kThreads, n_values - done, 4 * kThreads, stream,
                                   bytes + done * P::element_bytes, n_values - done, out + done);
        }))
        unsupported(type, "dequantize");
    check_launch();
}

void get_rows(std::uint32_t type, const void* matrix, std::uint64_t n_in, const std::int32_t* ids, std::uint64_t n_ids,
              float* out, cudaStream_t stream) {
    if (n_ids == 0 || n_in == 0) return;
    const auto* bytes = static_cast<const std::uint8_t*>(matrix);
    const bool quant = blocks::visit_quant(type, [&](auto q) {
        using Q = decltype(q);
        const std::uint64_t row_bytes = n_in / Q::values * Q::bytes;
        launch_grid_stride(get_rows_kernel<Q>, kThreads, n_in / 8 * n_ids, kThreads, stream,
                           bytes, row_bytes, n_in, ids, n_ids, out);
    });
    if (!quant && !blocks::visit_plain(type, [&](auto p) {
            using P = decltype(p);
            launch_grid_stride(get_rows_plain_kernel<P>, kThreads, n_in * n_ids, kThreads, stream,
                               bytes, n_in, ids, n_ids, out);
        }))
        unsupported(type, "get_rows");
    check_launch();
}

}  // namespace gguf::cuda
