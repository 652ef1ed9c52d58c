// Reference quantizers of the K-quants (layouts in gguf/blocks/kquants.hpp), in three steps per super-block:
// fit each sub-block's float scale (and min) with quantize_fit.hpp's search; quantize those to the
// block's small integers against an f16 super-block scale; round the quants against the scales as
// the decoder will compute them, so the block decodes to what was measured.
#include <algorithm>
#include <cstring>
#include <limits>

#include "blocks.hpp"
#include "quantize_fit.hpp"
#include "quantizers.hpp"

namespace gguf::dequant::detail {
namespace {

template <class Block>
void store_block(const Block& b, std::byte* out) {
    std::memcpy(out, &b, sizeof b);
}

// The f16 super-block scale that maps `largest` to `levels` (stored value and its float).
struct SuperScale {
    std::uint16_t half;
    float value;
};
SuperScale super_scale(float largest, float levels) {
    const std::uint16_t h = scale_to_half(largest / levels);
    return {h, fp16_to_fp32(h)};
}

int scale_steps(float x, float unit, int lo, int hi) { return unit == 0.0f ? 0 : std::clamp(nearest_int(x / unit), lo, hi); }

// Sub-block fits with value = scale * q - min (min >= 0), as the K-quants with mins store them.
template <int n_sub, int sub_size, int qmax>
void fit_sub_blocks(const float* x, float (&scale)[n_sub], float (&min)[n_sub]) {
    for (int j = 0; j < n_sub; ++j) {
        const Fit fit = fit_affine({x + sub_size * j, sub_size}, qmax, true, keep_float);
        scale[j] = fit.scale;
        min[j] = -fit.offset;
    }
}

// Quants of value = dl * q - ml in [0, qmax].
int affine_quant(float x, float dl, float ml, int qmax) {
    return dl == 0.0f ? 0 : std::clamp(nearest_int((x + ml) / dl), 0, qmax);
}

// Rounding the fitted scale and min to integers separately is not always best: tries the
// neighbouring integers too and keeps the pair with the least squared error on the sub-block.
struct IntegerScales {
    int scale;
    int min;
};
IntegerScales refine_integer_scales(const float* x, int n, int qmax, float d, float dmin, int scale, int min, int top) {
    IntegerScales best{scale, min};
    double best_error = std::numeric_limits<double>::infinity();
    for (int s = std::max(0, scale - 1); s <= std::min(top, scale + 1); ++s) {
        for (int m = std::max(0, min - 1); m <= std::min(top, min + 1); ++m) {
            const float dl = d * static_cast<float>(s);
            const float ml = dmin * static_cast<float>(m);
            double error = 0.0;
            for (int i = 0; i < n; ++i) {
                const float value = dl * static_cast<float>(affine_quant(x[i], dl, ml, qmax)) - ml;
                error += (static_cast<double>(x[i]) - value) * (static_cast<double>(x[i]) - value);
            }
            if (error < best_error) {
                best_error = error;
                best = {s, m};
            }
        }
    }
    return best;
}

void quantize_q2_k(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockQ2K)) {
        float scale[16], min[16];
        fit_sub_blocks<16, 16, 3>(x, scale, min);
        BlockQ2K block{};
        const SuperScale d = super_scale(*std::max_element(scale, scale + 16), 15.0f);
        const SuperScale dmin = super_scale(*std::max_element(min, min + 16), 15.0f);
        block.d = d.half;
        block.dmin = dmin.half;
        for (int j = 0; j < 16; ++j) {
            const IntegerScales best = refine_integer_scales(x + 16 * j, 16, 3, d.value, dmin.value,
                                                             scale_steps(scale[j], d.value, 0, 15),
                                                             scale_steps(min[j], dmin.value, 0, 15), 15);
            const int s = best.scale;
            const int m = best.min;
            block.scales[j] = static_cast<std::uint8_t>(s | m << 4);
            const float dl = d.value * static_cast<float>(s);
            const float ml = dmin.value * static_cast<float>(m);
            for (int l = 0; l < 16; ++l) {
                const int i = 16 * j + l;
                const int q = affine_quant(x[i], dl, ml, 3);
                block.qs[32 * (i / 128) + i % 32] |= static_cast<std::uint8_t>(q << (2 * ((i % 128) / 32)));
            }
        }
        store_block(block, out);
    }
}

void quantize_q3_k(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockQ3K)) {
        float scale[16];
        float extreme = 0.0f;
        for (int j = 0; j < 16; ++j) {
            scale[j] = fit_symmetric({x + 16 * j, 16}, -4, 3, keep_float).scale;
            if (std::fabs(scale[j]) > std::fabs(extreme)) extreme = scale[j];
        }
        BlockQ3K block{};
        const SuperScale d = super_scale(extreme, -32.0f);  // the largest scale takes the 6-bit value -32
        block.d = d.half;
        for (int j = 0; j < 16; ++j) {
            const int s = scale_steps(scale[j], d.value, -32, 31);
            const int stored = s + 32;
            block.scales[j < 8 ? j : j - 8] |= static_cast<std::uint8_t>((stored & 0x0F) << (j < 8 ? 0 : 4));
            block.scales[8 + j % 4] |= static_cast<std::uint8_t>((stored >> 4) << (2 * (j / 4)));
            const float dl = d.value * static_cast<float>(s);
            for (int l = 0; l < 16; ++l) {
                const int i = 16 * j + l;
                const int h = i / 128, k = (i % 128) / 32, r = i % 32;
                const int u = (dl == 0.0f ? 0 : std::clamp(nearest_int(x[i] / dl), -4, 3)) + 4;
                block.qs[32 * h + r] |= static_cast<std::uint8_t>((u & 3) << (2 * k));
                if (u >> 2) block.hmask[r] |= static_cast<std::uint8_t>(1u << (4 * h + k));
            }
        }
        store_block(block, out);
    }
}

// The 12-byte packing of Q4_K/Q5_K (inverse of k4_scale_min).
void pack_scale_min(const int (&s)[8], const int (&m)[8], std::uint8_t (&sc)[12]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = static_cast<std::uint8_t>(s[j] | (s[j + 4] >> 4) << 6);
        sc[j + 4] = static_cast<std::uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
        sc[j + 8] = static_cast<std::uint8_t>((s[j + 4] & 0x0F) | (m[j + 4] & 0x0F) << 4);
    }
}

// Q4_K and Q5_K differ only in the quant width; `qh` is null for Q4_K.
template <int qmax>
void quantize_k4_layout(const float* x, std::uint16_t& d_half, std::uint16_t& dmin_half, std::uint8_t (&scales)[12],
                        std::uint8_t (&qs)[128], std::uint8_t* qh) {
    float scale[8], min[8];
    fit_sub_blocks<8, 32, qmax>(x, scale, min);
    const SuperScale d = super_scale(*std::max_element(scale, scale + 8), 63.0f);
    const SuperScale dmin = super_scale(*std::max_element(min, min + 8), 63.0f);
    d_half = d.half;
    dmin_half = dmin.half;
    int s[8], m[8];
    for (int j = 0; j < 8; ++j) {
        const IntegerScales best = refine_integer_scales(x + 32 * j, 32, qmax, d.value, dmin.value,
                                                         scale_steps(scale[j], d.value, 0, 63),
                                                         scale_steps(min[j], dmin.value, 0, 63), 63);
        s[j] = best.scale;
        m[j] = best.min;
    }
    pack_scale_min(s, m, scales);
    for (int j = 0; j < 8; ++j) {
        const ScaleMin sm = k4_scale_min(scales, j);
        const float dl = d.value * static_cast<float>(sm.scale);
        const float ml = dmin.value * static_cast<float>(sm.min);
        for (int l = 0; l < 32; ++l) {
            const int q = affine_quant(x[32 * j + l], dl, ml, qmax);
            qs[32 * (j / 2) + l] |= static_cast<std::uint8_t>((q & 0x0F) << (4 * (j % 2)));
            if (qh) qh[l] |= static_cast<std::uint8_t>(((q >> 4) & 1) << j);
        }
    }
}

void quantize_q4_k(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockQ4K)) {
        BlockQ4K block{};
        quantize_k4_layout<15>(x, block.d, block.dmin, block.scales, block.qs, nullptr);
        store_block(block, out);
    }
}

void quantize_q5_k(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockQ5K)) {
        BlockQ5K block{};
        quantize_k4_layout<31>(x, block.d, block.dmin, block.scales, block.qs, block.qh);
        store_block(block, out);
    }
}

void quantize_q6_k(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockQ6K)) {
        float scale[16];
        float extreme = 0.0f;
        for (int j = 0; j < 16; ++j) {
            scale[j] = fit_symmetric({x + 16 * j, 16}, -32, 31, keep_float).scale;
            if (std::fabs(scale[j]) > std::fabs(extreme)) extreme = scale[j];
        }
        BlockQ6K block{};
        const SuperScale d = super_scale(extreme, -128.0f);  // the largest scale takes the int8 value -128
        block.d = d.half;
        for (int j = 0; j < 16; ++j) {
            const int s = scale_steps(scale[j], d.value, -128, 127);
            block.scales[j] = static_cast<std::int8_t>(s);
            const float dl = d.value * static_cast<float>(s);
            for (int l = 0; l < 16; ++l) {
                const int i = 16 * j + l;
                const int h = i / 128, k = (i % 128) / 32, r = i % 32;
                const int q = (dl == 0.0f ? 0 : std::clamp(nearest_int(x[i] / dl), -32, 31)) + 32;
                block.ql[64 * h + 32 * (k % 2) + r] |= static_cast<std::uint8_t>((q & 0x0F) << (4 * (k / 2)));
                block.qh[32 * h + r] |= static_cast<std::uint8_t>((q >> 4) << (2 * k));
            }
        }
        store_block(block, out);
    }
}

constexpr TypeQuantizer kKQuantQuantizers[] = {
    {TypeId::Q2_K, quantize_q2_k}, {TypeId::Q3_K, quantize_q3_k}, {TypeId::Q4_K, quantize_q4_k},
    {TypeId::Q5_K, quantize_q5_k}, {TypeId::Q6_K, quantize_q6_k},
};

}  // namespace

std::span<const TypeQuantizer> kquant_quantizers() { return kKQuantQuantizers; }

}  // namespace gguf::dequant::detail
