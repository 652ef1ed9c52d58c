// Reference quantizers of the ternary quants (layouts in gguf/blocks/ternary.hpp): the block's largest
// magnitude is the scale and every value rounds to -1, 0 or 1 of it, as ggml's reference quantizer
// does (a ternary model's weights are exactly such multiples, so nothing better exists for them).
#include <cmath>
#include <cstring>

#include "blocks.hpp"
#include "quantize_fit.hpp"
#include "quantizers.hpp"

namespace gguf::dequant::detail {
namespace {

struct Ternary {
    std::uint16_t d;  // the f16 scale
    float inverse;    // 1 / the scale that was stored, 0 for an all-zero block

    // 0, 1, 2 for -1, 0, 1 times the scale.
    int digit(float x) const { return static_cast<int>(std::lround(x * inverse)) + 1; }
};

Ternary fit_ternary(const float* x) {
    float amax = 0.0f;
    for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(x[i]));
    const std::uint16_t d = scale_to_half(amax);
    const float stored = fp16_to_fp32(d);
    return {d, stored > 0.0f ? 1.0f / stored : 0.0f};
}

// Five base-3 digits (the first the most significant) as the byte TQ1_0 stores: the number as a
// fraction of 3^5, rounded up to 1/256, so that multiplying by 3 brings each digit into the high byte.
std::uint8_t pack_digits(const int (&t)[5]) {
    int n = 0;
    for (int k = 0; k < 5; ++k) n = 3 * n + t[k];
    return static_cast<std::uint8_t>((n * 256 + 242) / 243);
}

void quantize_tq1_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockTQ1_0)) {
        const Ternary fit = fit_ternary(x);
        BlockTQ1_0 block{};
        block.d = fit.d;
        for (int m = 0; m < 32; ++m) {  // values 32n + m
            int t[5];
            for (int n = 0; n < 5; ++n) t[n] = fit.digit(x[32 * n + m]);
            block.qs[m] = pack_digits(t);
        }
        for (int m = 0; m < 16; ++m) {  // values 160 + 16n + m
            int t[5];
            for (int n = 0; n < 5; ++n) t[n] = fit.digit(x[160 + 16 * n + m]);
            block.qs[32 + m] = pack_digits(t);
        }
        for (int m = 0; m < 4; ++m) {  // values 240 + 4n + m, four digits and a zero
            int t[5] = {0, 0, 0, 0, 0};
            for (int n = 0; n < 4; ++n) t[n] = fit.digit(x[240 + 4 * n + m]);
            block.qh[m] = pack_digits(t);
        }
        std::memcpy(out, &block, sizeof block);
    }
}

void quantize_tq2_0(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockTQ2_0)) {
        const Ternary fit = fit_ternary(x);
        BlockTQ2_0 block{};
        block.d = fit.d;
        for (int i = 0; i < 256; ++i) {  // i = 128h + 32l + m: bits 2l of byte 32h + m
            const int h = i / 128, l = (i % 128) / 32, m = i % 32;
            block.qs[32 * h + m] = static_cast<std::uint8_t>(block.qs[32 * h + m] | fit.digit(x[i]) << (2 * l));
        }
        std::memcpy(out, &block, sizeof block);
    }
}

constexpr TypeQuantizer kTernaryQuantizers[] = {{TypeId::TQ1_0, quantize_tq1_0}, {TypeId::TQ2_0, quantize_tq2_0}};

}  // namespace

std::span<const TypeQuantizer> ternary_quantizers() { return kTernaryQuantizers; }

}  // namespace gguf::dequant::detail
