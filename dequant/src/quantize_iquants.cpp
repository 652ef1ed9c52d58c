// Reference quantizers of the code-book quants (layouts in gguf/blocks/iquants.hpp), for fixtures:
// plain squared error, no importance matrix. Per super-block, for every sub-block scale code the
// groups of 8 are fitted (signs from the values; each magnitude rounded to the nearest grid level, and
// the vector of levels mapped to its nearest grid entry by a table built once per grid); the code with
// the least error wins. The super-block scale puts the largest sub-block on the top code, as ggml's
// quantizers do. ggml searches harder (and weighs by the importance matrix): its error is lower,
// tests/reference/dequant_quantizer_test.cpp says by how much.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "blocks.hpp"
#include "quantize_fit.hpp"
#include "quantizers.hpp"

namespace gguf::dequant::detail {
namespace {

// A code book seen as vectors of `width` levels: for each combination of level indices, the entry
// nearest to it (least squared distance), so a group is fitted by rounding each value to a level.
class GridFit {
public:
    template <class Entry>
    GridFit(const Entry* entries, int n_entries, int width, bool signed_bytes) : width_(width) {
        for (int i = 0; i < n_entries; ++i)
            for (int j = 0; j < width; ++j) add_level(byte_of(entries[i], j, signed_bytes));
        std::sort(levels_.begin(), levels_.end());
        int combos = 1;
        for (int j = 0; j < width; ++j) combos *= static_cast<int>(levels_.size());
        nearest_.resize(combos);
        for (int c = 0; c < combos; ++c) {
            int best = 0;
            long best_d = std::numeric_limits<long>::max();
            for (int i = 0; i < n_entries; ++i) {
                long d = 0;
                int rest = c;
                for (int j = 0; j < width; ++j, rest /= static_cast<int>(levels_.size())) {
                    const long diff = byte_of(entries[i], j, signed_bytes) - levels_[rest % levels_.size()];
                    d += diff * diff;
                }
                if (d < best_d) best_d = d, best = i;
            }
            nearest_[c] = best;
        }
    }

    // The entry nearest to `target` (width values in grid units).
    int fit(const float* target) const {
        int c = 0;
        for (int j = width_ - 1; j >= 0; --j) {
            int nearest = 0;
            for (int k = 1; k < static_cast<int>(levels_.size()); ++k)
                if (std::fabs(target[j] - levels_[k]) < std::fabs(target[j] - levels_[nearest])) nearest = k;
            c = c * static_cast<int>(levels_.size()) + nearest;
        }
        return nearest_[c];
    }

private:
    template <class Entry>
    static int byte_of(Entry e, int j, bool signed_bytes) {
        const auto b = static_cast<std::uint8_t>((static_cast<std::uint64_t>(e) >> (8 * j)) & 0xFFu);
        return signed_bytes ? static_cast<std::int8_t>(b) : b;
    }
    void add_level(int v) {
        if (std::find(levels_.begin(), levels_.end(), v) == levels_.end()) levels_.push_back(v);
    }

    int width_;
    std::vector<int> levels_;
    std::vector<int> nearest_;
};

const GridFit& iq2xxs_fit() { static const GridFit f(host_grids::kIQ2XXS, 256, 8, false); return f; }
const GridFit& iq2xs_fit() { static const GridFit f(host_grids::kIQ2XS, 512, 8, false); return f; }
const GridFit& iq2s_fit() { static const GridFit f(host_grids::kIQ2S, 1024, 8, false); return f; }
const GridFit& iq3xxs_fit() { static const GridFit f(host_grids::kIQ3XXS, 256, 4, false); return f; }
const GridFit& iq3s_fit() { static const GridFit f(host_grids::kIQ3S, 512, 4, false); return f; }
const GridFit& iq1s_fit() { static const GridFit f(host_grids::kIQ1S, 2048, 8, true); return f; }

// One fitted group of 8 values: grid entries (one, or two of 4 values), sign bits (IQ1_M: the delta's
// sign), squared error.
struct FittedGroup {
    int entry[2] = {0, 0};
    int signs = 0;
    double error = 0;
};

// The signs of `x`; with `even_parity` an odd count is made even by flipping the value of least
// magnitude (the format stores 7 sign bits and implies the eighth). Targets: |x| / scale, negative
// for a flipped value (its nearest level is then the smallest).
int signs_and_targets(const float* x, float scale, bool even_parity, float* target) {
    int signs = 0, flip = 0;
    for (int j = 0; j < 8; ++j) {
        if (x[j] < 0) signs |= 1 << j;
        if (std::fabs(x[j]) < std::fabs(x[flip])) flip = j;
        target[j] = std::fabs(x[j]) / scale;
    }
    if (even_parity && signs_from_index(signs & 127) != signs) {
        signs ^= 1 << flip;
        target[flip] = -target[flip];
    }
    return signs;
}

// A group fitted to a magnitude grid (IQ2, IQ3) under `scale` (the value of one grid unit).
template <class Lookup>
FittedGroup fit_signed(const float* x, float scale, bool even_parity, const GridFit& grid, int width, Lookup entry_of) {
    FittedGroup g;
    float target[8];
    if (scale == 0.0f) {  // every value decodes to zero
        for (int j = 0; j < 8; ++j) g.error += static_cast<double>(x[j]) * x[j];
        return g;
    }
    g.signs = signs_and_targets(x, scale, even_parity, target);
    for (int part = 0; part < 8 / width; ++part) g.entry[part] = grid.fit(target + width * part);
    for (int j = 0; j < 8; ++j) {
        const int part = j / width;
        const float v = scale * static_cast<float>(grid_byte(entry_of(g.entry[part]), j % width));
        const double decoded = (g.signs >> j) & 1 ? -v : v;
        g.error += (decoded - x[j]) * (decoded - x[j]);
    }
    return g;
}

// A group fitted to the IQ1 grid: value = scale * (entry + delta), delta = +-1/8 (`negative_delta`).
FittedGroup fit_iq1(const float* x, float scale, bool negative_delta) {
    FittedGroup g;
    const float delta = negative_delta ? -kIQ1Delta : kIQ1Delta;
    float target[8];
    for (int j = 0; j < 8; ++j) target[j] = scale == 0.0f ? 0.0f : x[j] / scale - delta;
    g.entry[0] = iq1s_fit().fit(target);
    for (int j = 0; j < 8; ++j) {
        const double decoded = scale * (grid_int8(host_grids::kIQ1S[g.entry[0]], j) + delta);
        g.error += (decoded - x[j]) * (decoded - x[j]);
    }
    return g;
}

// The sub-block scales of one super-block: `n_units` units of `unit` values, each with a code in
// [0, n_codes) whose multiplier of d is mult(code); d puts the largest unit on the top code.
template <class Mult>
float super_scale(const float* x, int n_units, int unit, float grid_max, int n_codes, Mult mult) {
    float largest = 0.0f;
    for (int u = 0; u < n_units; ++u)
        for (int i = 0; i < unit; ++i) largest = std::max(largest, std::fabs(x[u * unit + i]));
    return round_to_half(largest / grid_max / mult(n_codes - 1));
}

// For one unit of `n_groups` groups, the code whose fitted groups have the least total error.
template <class FitGroup>
int best_code(int n_codes, int n_groups, FitGroup fit_group, FittedGroup* groups) {
    double best = std::numeric_limits<double>::infinity();
    int best_code = 0;
    FittedGroup trial[4];
    for (int code = 0; code < n_codes; ++code) {
        double error = 0;
        for (int k = 0; k < n_groups; ++k) error += (trial[k] = fit_group(code, k)).error;
        if (error < best) {
            best = error;
            best_code = code;
            std::copy(trial, trial + n_groups, groups);
        }
    }
    return best_code;
}

template <class Block>
void store(const Block& b, std::byte* out) { std::memcpy(out, &b, sizeof b); }

float half_step(int s, float factor) { return (0.5f + static_cast<float>(s)) * factor; }

void quantize_iq2_xxs(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ2XXS)) {
        const float d = super_scale(x, 8, 32, 43.0f, 16, [](int s) { return half_step(s, 0.25f); });
        BlockIQ2XXS block{};
        block.d = fp32_to_fp16(d);
        std::uint8_t q[64] = {};
        for (int k = 0; k < 8; ++k) {
            FittedGroup groups[4];
            const int s = best_code(16, 4, [&](int code, int g) {
                return fit_signed(x + 32 * k + 8 * g, d * half_step(code, 0.25f), true, iq2xxs_fit(), 8,
                                  [](int e) { return host_grids::kIQ2XXS[e]; });
            }, groups);
            std::uint32_t aux = static_cast<std::uint32_t>(s) << 28;
            for (int g = 0; g < 4; ++g) {
                q[8 * k + g] = static_cast<std::uint8_t>(groups[g].entry[0]);
                aux |= static_cast<std::uint32_t>(groups[g].signs & 127) << (7 * g);
            }
            std::memcpy(q + 8 * k + 4, &aux, 4);
        }
        std::memcpy(block.qs, q, 64);
        store(block, out);
    }
}

void quantize_iq2_xs(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ2XS)) {
        const float d = super_scale(x, 16, 16, 43.0f, 16, [](int s) { return half_step(s, 0.25f); });
        BlockIQ2XS block{};
        block.d = fp32_to_fp16(d);
        for (int u = 0; u < 16; ++u) {  // units of two groups: the scale nibbles
            FittedGroup groups[2];
            const int s = best_code(16, 2, [&](int code, int g) {
                return fit_signed(x + 16 * u + 8 * g, d * half_step(code, 0.25f), true, iq2xs_fit(), 8,
                                  [](int e) { return host_grids::kIQ2XS[e]; });
            }, groups);
            block.scales[u / 2] = static_cast<std::uint8_t>(block.scales[u / 2] | s << (4 * (u % 2)));
            for (int g = 0; g < 2; ++g)
                block.qs[2 * u + g] = static_cast<std::uint16_t>(groups[g].entry[0] | (groups[g].signs & 127) << 9);
        }
        store(block, out);
    }
}

void quantize_iq2_s(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ2S)) {
        const float d = super_scale(x, 16, 16, 43.0f, 16, [](int s) { return half_step(s, 0.25f); });
        BlockIQ2S block{};
        block.d = fp32_to_fp16(d);
        for (int u = 0; u < 16; ++u) {
            FittedGroup groups[2];
            const int s = best_code(16, 2, [&](int code, int g) {
                return fit_signed(x + 16 * u + 8 * g, d * half_step(code, 0.25f), false, iq2s_fit(), 8,
                                  [](int e) { return host_grids::kIQ2S[e]; });
            }, groups);
            block.scales[u / 2] = static_cast<std::uint8_t>(block.scales[u / 2] | s << (4 * (u % 2)));
            for (int g = 0; g < 2; ++g) {
                const int group = 2 * u + g, index = groups[g].entry[0];
                block.qs[group] = static_cast<std::uint8_t>(index & 0xFF);
                block.qs[32 + group] = static_cast<std::uint8_t>(groups[g].signs);
                block.qh[group / 4] = static_cast<std::uint8_t>(block.qh[group / 4] | (index >> 8) << (2 * (group % 4)));
            }
        }
        store(block, out);
    }
}

void quantize_iq3_xxs(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ3XXS)) {
        const float d = super_scale(x, 8, 32, 62.0f, 16, [](int s) { return half_step(s, 0.5f); });
        BlockIQ3XXS block{};
        block.d = fp32_to_fp16(d);
        for (int k = 0; k < 8; ++k) {
            FittedGroup groups[4];
            const int s = best_code(16, 4, [&](int code, int g) {
                return fit_signed(x + 32 * k + 8 * g, d * half_step(code, 0.5f), true, iq3xxs_fit(), 4,
                                  [](int e) { return std::uint64_t{host_grids::kIQ3XXS[e]}; });
            }, groups);
            std::uint32_t aux = static_cast<std::uint32_t>(s) << 28;
            for (int g = 0; g < 4; ++g) {
                block.qs[8 * k + 2 * g] = static_cast<std::uint8_t>(groups[g].entry[0]);
                block.qs[8 * k + 2 * g + 1] = static_cast<std::uint8_t>(groups[g].entry[1]);
                aux |= static_cast<std::uint32_t>(groups[g].signs & 127) << (7 * g);
            }
            std::memcpy(block.qs + 64 + 4 * k, &aux, 4);
        }
        store(block, out);
    }
}

void quantize_iq3_s(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ3S)) {
        const float d = super_scale(x, 8, 32, 15.0f, 16, [](int s) { return static_cast<float>(1 + 2 * s); });
        BlockIQ3S block{};
        block.d = fp32_to_fp16(d);
        for (int k = 0; k < 8; ++k) {
            FittedGroup groups[4];
            const int s = best_code(16, 4, [&](int code, int g) {
                return fit_signed(x + 32 * k + 8 * g, d * static_cast<float>(1 + 2 * code), false, iq3s_fit(), 4,
                                  [](int e) { return std::uint64_t{host_grids::kIQ3S[e]}; });
            }, groups);
            block.scales[k / 2] = static_cast<std::uint8_t>(block.scales[k / 2] | s << (4 * (k % 2)));
            for (int g = 0; g < 4; ++g) {
                for (int part = 0; part < 2; ++part) {
                    const int m = 2 * g + part, index = groups[g].entry[part];
                    block.qs[8 * k + m] = static_cast<std::uint8_t>(index & 0xFF);
                    block.qh[k] = static_cast<std::uint8_t>(block.qh[k] | (index >> 8) << m);
                }
                block.signs[4 * k + g] = static_cast<std::uint8_t>(groups[g].signs);
            }
        }
        store(block, out);
    }
}

void quantize_iq1_s(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ1S)) {
        const float d = super_scale(x, 8, 32, 1.125f, 8, [](int s) { return static_cast<float>(2 * s + 1); });
        BlockIQ1S block{};
        block.d = fp32_to_fp16(d);
        for (int k = 0; k < 8; ++k) {
            // The delta's sign is one bit per sub-block: codes 0-7 with +1/8, 8-15 with -1/8.
            FittedGroup groups[4];
            const int c = best_code(16, 4, [&](int code, int g) {
                return fit_iq1(x + 32 * k + 8 * g, d * static_cast<float>(2 * (code % 8) + 1), code >= 8);
            }, groups);
            std::uint32_t qh = static_cast<std::uint32_t>(c % 8) << 12 | static_cast<std::uint32_t>(c >= 8) << 15;
            for (int g = 0; g < 4; ++g) {
                block.qs[4 * k + g] = static_cast<std::uint8_t>(groups[g].entry[0] & 0xFF);
                qh |= static_cast<std::uint32_t>(groups[g].entry[0] >> 8) << (3 * g);
            }
            block.qh[k] = static_cast<std::uint16_t>(qh);
        }
        store(block, out);
    }
}

void quantize_iq1_m(const float* x, std::size_t n_blocks, std::byte* out) {
    for (std::size_t b = 0; b < n_blocks; ++b, x += 256, out += sizeof(BlockIQ1M)) {
        const float d = super_scale(x, 16, 16, 1.125f, 8, [](int s) { return static_cast<float>(2 * s + 1); });
        const std::uint16_t d_bits = fp32_to_fp16(d);
        BlockIQ1M block{};
        std::uint16_t words[4] = {};
        for (int u = 0; u < 16; ++u) {  // units of two groups, each group with its own delta sign
            FittedGroup groups[2];
            const int s = best_code(8, 2, [&](int code, int g) {
                const float scale = fp16_to_fp32(d_bits) * static_cast<float>(2 * code + 1);
                const FittedGroup plus = fit_iq1(x + 16 * u + 8 * g, scale, false), minus = fit_iq1(x + 16 * u + 8 * g, scale, true);
                FittedGroup best = plus.error <= minus.error ? plus : minus;
                best.signs = plus.error <= minus.error ? 0 : 1;  // here: the delta's sign
                return best;
            }, groups);
            const int k = u / 2;  // sub-block; its two scales are bits 6(k%2) and 6(k%2)+3 of word k/2
            words[k / 2] = static_cast<std::uint16_t>(words[k / 2] | s << (6 * (k % 2) + 3 * (u % 2)));
            for (int g = 0; g < 2; ++g) {
                const int group = 2 * u + g, index = groups[g].entry[0];
                block.qs[group] = static_cast<std::uint8_t>(index & 0xFF);
                const int bits = (index >> 8) | groups[g].signs << 3;
                block.qh[group / 2] = static_cast<std::uint8_t>(block.qh[group / 2] | bits << (4 * (group % 2)));
            }
        }
        for (int w = 0; w < 4; ++w) words[w] = static_cast<std::uint16_t>(words[w] | ((d_bits >> (4 * w)) & 0xF) << 12);
        std::memcpy(block.scales, words, 8);
        store(block, out);
    }
}

constexpr TypeQuantizer kIQuantQuantizers[] = {
    {TypeId::IQ2_XXS, quantize_iq2_xxs}, {TypeId::IQ2_XS, quantize_iq2_xs}, {TypeId::IQ2_S, quantize_iq2_s},
    {TypeId::IQ3_XXS, quantize_iq3_xxs}, {TypeId::IQ3_S, quantize_iq3_s},   {TypeId::IQ1_S, quantize_iq1_s},
    {TypeId::IQ1_M, quantize_iq1_m},
};

}  // namespace

std::span<const TypeQuantizer> iquant_quantizers() { return kIQuantQuantizers; }

}  // namespace gguf::dequant::detail
