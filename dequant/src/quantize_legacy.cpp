// Reference quantizers of the legacy quants and Q1_0, Q2_0 (layouts in gguf/blocks/legacy.hpp): one
// scale (and offset) per block, fitted by quantize_fit.hpp's search, stored as f16, and the quants rounded
// against the stored values, so the block decodes to the values the fit measured.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks.hpp"
#include "quantize_fit.hpp"
#include "quantizers.hpp"

namespace gguf::dequant::detail {
namespace {

template <class Block>
void store_block(const Block& b, std::byte* out) {
    std::memcpy(out, &b, sizeof b);
}

// Signed quants q in [qmin, qmax] for value = d * q.
template <int qmin, int qmax>
void symmetric_quants(const float* x, float d, int (&q)[32]) {
    for (int i = 0; i < 32; ++i) q[i] = d == 0.0f ? 0 : std::clamp(nearest_int(x[i] / d), qmin, qmax);
}

// Unsigned quants q in [0, qmax] for value = d * q + m.
template <int qmax>
void affine_quants(const float* x, float d, float m, int (&q)[32]) {
    for (int i = 0; i < 32; ++i) q[i] = d == 0.0f ? 0 : std::clamp(nearest_int((x[i] - m) / d), 0, qmax);
}

void pack_nibbles(const int (&q)[32], std::uint8_t (&qs)[16]) {
    for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>((q[j] & 0x0F) | (q[j + 16] & 0x0F) << 4);
}

void pack_fifth_bits(const int (&q)[32], std::uint8_t (&qh)[4]) {
    std::uint32_t bits = 0;
    for (int i = 0; i < 32; ++i) bits |= static_cast<std::uint32_t>((q[i] >> 4) & 1) << i;
    for (int k = 0; k < 4; ++k) qh[k] = static_cast<std::uint8_t>(bits >> (8 * k));
}

void quantize_q4_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockQ4_0)) {
        const Fit fit = fit_symmetric({x, 32}, -8, 7, round_to_half);
        int q[32];
        symmetric_quants<-8, 7>(x, fit.scale, q);
        for (int& v : q) v += 8;
        BlockQ4_0 block{};
        block.d = scale_to_half(fit.scale);
        pack_nibbles(q, block.qs);
        store_block(block, out);
    }
}

void quantize_q4_1(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockQ4_1)) {
        const Fit fit = fit_affine({x, 32}, 15, false, round_to_half);
        int q[32];
        affine_quants<15>(x, fit.scale, fit.offset, q);
        BlockQ4_1 block{};
        block.d = scale_to_half(fit.scale);
        block.m = scale_to_half(fit.offset);
        pack_nibbles(q, block.qs);
        store_block(block, out);
    }
}

void quantize_q5_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockQ5_0)) {
        const Fit fit = fit_symmetric({x, 32}, -16, 15, round_to_half);
        int q[32];
        symmetric_quants<-16, 15>(x, fit.scale, q);
        for (int& v : q) v += 16;
        BlockQ5_0 block{};
        block.d = scale_to_half(fit.scale);
        pack_nibbles(q, block.qs);
        pack_fifth_bits(q, block.qh);
        store_block(block, out);
    }
}

void quantize_q5_1(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockQ5_1)) {
        const Fit fit = fit_affine({x, 32}, 31, false, round_to_half);
        int q[32];
        affine_quants<31>(x, fit.scale, fit.offset, q);
        BlockQ5_1 block{};
        block.d = scale_to_half(fit.scale);
        block.m = scale_to_half(fit.offset);
        pack_nibbles(q, block.qs);
        pack_fifth_bits(q, block.qh);
        store_block(block, out);
    }
}

void quantize_q8_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockQ8_0)) {
        const Fit fit = fit_symmetric({x, 32}, -128, 127, round_to_half);
        int q[32];
        symmetric_quants<-128, 127>(x, fit.scale, q);
        BlockQ8_0 block{};
        block.d = scale_to_half(fit.scale);
        for (int i = 0; i < 32; ++i) block.qs[i] = static_cast<std::int8_t>(q[i]);
        store_block(block, out);
    }
}

// Q1_0: the sign of each value times one scale; the least-squares scale for fixed signs is the mean |x|.
void quantize_q1_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 128, out += sizeof(BlockQ1_0)) {
        double sum_abs = 0.0;
        for (int i = 0; i < 128; ++i) sum_abs += std::fabs(x[i]);
        BlockQ1_0 block{};
        block.d = scale_to_half(static_cast<float>(sum_abs / 128.0));
        for (int i = 0; i < 128; ++i)
            if (x[i] >= 0.0f) block.qs[i / 8] = static_cast<std::uint8_t>(block.qs[i / 8] | 1u << (i % 8));
        store_block(block, out);
    }
}

// Q2_0: value = d * q with q in -1..2, stored as q + 1.
void quantize_q2_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 64, out += sizeof(BlockQ2_0)) {
        const Fit fit = fit_symmetric({x, 64}, -1, 2, round_to_half);
        BlockQ2_0 block{};
        block.d = scale_to_half(fit.scale);
        for (int i = 0; i < 64; ++i) {
            const int q = fit.scale == 0.0f ? 0 : std::clamp(nearest_int(x[i] / fit.scale), -1, 2);
            block.qs[i / 4] = static_cast<std::uint8_t>(block.qs[i / 4] | (q + 1) << (2 * (i % 4)));
        }
        store_block(block, out);
    }
}

constexpr TypeQuantizer kLegacyQuantizers[] = {
    {TypeId::Q4_0, quantize_q4_0}, {TypeId::Q4_1, quantize_q4_1}, {TypeId::Q5_0, quantize_q5_0},
    {TypeId::Q5_1, quantize_q5_1}, {TypeId::Q8_0, quantize_q8_0}, {TypeId::Q1_0, quantize_q1_0},
    {TypeId::Q2_0, quantize_q2_0},
};

}  // namespace

std::span<const TypeQuantizer> legacy_quantizers() { return kLegacyQuantizers; }

}  // namespace gguf::dequant::detail
