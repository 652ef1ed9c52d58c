// Reference quantizers of IQ4_NL, IQ4_XS, MXFP4 and NVFP4 (layouts in gguf/blocks/nonlinear.hpp): a scale fitted
// by quantize_fit.hpp's search, then each value's nearest code-book entry under the stored scale.
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

// 32 values -> 16 bytes of code pairs (c[j] low nibble, c[j+16] high nibble) for value = scale * table[c].
void pack_codes(const float* x, float scale, const std::int8_t (&table)[16], std::uint8_t* qs) {
    auto code = [&](float v) { return scale == 0.0f ? nearest_entry(table, 0.0f) : nearest_entry(table, v / scale); };
    for (int j = 0; j < 16; ++j) qs[j] = static_cast<std::uint8_t>(code(x[j]) | code(x[j + 16]) << 4);
}

void quantize_iq4_nl(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockIQ4NL)) {
        const Fit fit = fit_table({x, 32}, kIQ4Values, round_to_half);
        BlockIQ4NL block{};
        block.d = scale_to_half(fit.scale);
        pack_codes(x, fit.scale, kIQ4Values, block.qs);
        store_block(block, out);
    }
}

void quantize_iq4_xs(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ4XS)) {
        float scale[8];
        float extreme = 0.0f;
        for (int j = 0; j < 8; ++j) {
            scale[j] = fit_table({x + 32 * j, 32}, kIQ4Values, keep_float).scale;
            if (std::fabs(scale[j]) > std::fabs(extreme)) extreme = scale[j];
        }
        BlockIQ4XS block{};
        block.d = scale_to_half(extreme / -32.0f);  // the largest scale takes the 6-bit value -32
        const float d = fp16_to_fp32(block.d);
        for (int j = 0; j < 8; ++j) {
            const int s = d == 0.0f ? 0 : std::clamp(nearest_int(scale[j] / d), -32, 31);
            const int stored = s + 32;
            block.scales_l[j / 2] |= static_cast<std::uint8_t>((stored & 0x0F) << (4 * (j % 2)));
            block.scales_h = static_cast<std::uint16_t>(block.scales_h | (stored >> 4) << (2 * j));
            pack_codes(x + 32 * j, d * static_cast<float>(s), kIQ4Values, block.qs + 16 * j);
        }
        store_block(block, out);
    }
}

// The sorted FP4 values (doubled) with their codes, for the nearest-entry search.
constexpr std::int8_t kFP4Sorted[16] = {-12, -8, -6, -4, -3, -2, -1, 0, 0, 1, 2, 3, 4, 6, 8, 12};
constexpr std::uint8_t kFP4SortedCode[16] = {15, 14, 13, 12, 11, 10, 9, 8, 0, 1, 2, 3, 4, 5, 6, 7};

void quantize_mxfp4(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 32, out += sizeof(BlockMXFP4)) {
        float amax = 0.0f;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
        // Candidate exponents around the one that maps amax to the largest code (12 = 2 * 6).
        const int guess = amax > 0.0f ? 128 + static_cast<int>(std::floor(std::log2(amax / 12.0f))) : 0;
        std::uint8_t best_e = 0;
        double best_error = std::numeric_limits<double>::infinity();
        for (int e = guess - 1; e <= guess + 2; ++e) {
            if (e < 0 || e > 254) continue;
            const float d = e8m0_half(static_cast<std::uint8_t>(e));
            double error = 0.0;
            for (int i = 0; i < 32; ++i) {
                const double r = static_cast<double>(x[i]) - static_cast<double>(kFP4Sorted[nearest_entry(kFP4Sorted, x[i] / d)] * d);
                error += r * r;
            }
            if (error < best_error) {
                best_error = error;
                best_e = static_cast<std::uint8_t>(e);
            }
        }
        BlockMXFP4 block{};
        block.e = best_e;
        const float d = e8m0_half(best_e);
        auto code = [&](float v) { return kFP4SortedCode[nearest_entry(kFP4Sorted, v / d)]; };
        for (int j = 0; j < 16; ++j) block.qs[j] = static_cast<std::uint8_t>(code(x[j]) | code(x[j + 16]) << 4);
        store_block(block, out);
    }
}

// The FP4 codes of 16 values under the (halved) scale d, packed as NVFP4 stores a sub-block: value l
// in the low nibble of byte l, value l + 8 in the high one; and their squared error.
double nvfp4_sub_block(const float* x, float d, std::uint8_t* qs) {
    double error = 0.0;
    for (int i = 0; i < 16; ++i) {
        const int k = d == 0.0f ? 8 : nearest_entry(kFP4Sorted, x[i] / d);  // 8: +0, code 0
        const double r = static_cast<double>(x[i]) - static_cast<double>(static_cast<float>(kFP4Sorted[k]) * d);
        error += r * r;
        if (qs) qs[i % 8] = static_cast<std::uint8_t>(qs[i % 8] | kFP4SortedCode[k] << (4 * (i / 8)));
    }
    return error;
}

// NVFP4: per 16-value sub-block, the UE4M3 scale byte (0x00-0x7E; bit 7 adds nothing) with the least
// squared error among those that put the largest |x| between codes 3 and 12 (of the doubled table).
void quantize_nvfp4(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, out += sizeof(BlockNVFP4)) {
        BlockNVFP4 block{};
        for (int s = 0; s < 4; ++s, x += 16) {
            float amax = 0.0f;
            for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(x[i]));
            std::uint8_t best = 0;
            double best_error = nvfp4_sub_block(x, 0.0f, nullptr);
            for (int byte = 1; byte <= 0x7E; ++byte) {
                const float d = ue4m3_half(static_cast<std::uint8_t>(byte));
                if (12.0f * d < 0.5f * amax || 3.0f * d > amax) continue;
                const double error = nvfp4_sub_block(x, d, nullptr);
                if (error < best_error) {
                    best_error = error;
                    best = static_cast<std::uint8_t>(byte);
                }
            }
            block.d[s] = best;
            nvfp4_sub_block(x, ue4m3_half(best), block.qs + 8 * s);
        }
        store_block(block, out);
    }
}

constexpr TypeQuantizer kNonlinearQuantizers[] = {
    {TypeId::IQ4_NL, quantize_iq4_nl}, {TypeId::IQ4_XS, quantize_iq4_xs}, {TypeId::MXFP4, quantize_mxfp4},
    {TypeId::NVFP4, quantize_nvfp4},
};

}  // namespace

std::span<const TypeQuantizer> nonlinear_quantizers() { return kNonlinearQuantizers; }

}  // namespace gguf::dequant::detail
