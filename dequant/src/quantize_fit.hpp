// Scale fitting shared by the reference quantizers: for a small group of values, the scale (and
// offset) whose integer grid reproduces them with the least squared error, found by trying a fan of
// candidate scales around the obvious one, each refined by least squares. Plain, not fast: the
// quantizers make fixtures, and the search keeps their error within ggml's.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "gguf/float_formats.hpp"

namespace gguf::dequant::detail {

// Round to nearest, ties to even (the default rounding mode, which nothing here changes).
inline int nearest_int(float x) { return static_cast<int>(std::nearbyint(x)); }

// The f16 a scale is stored as: nearest half, saturating at the largest finite one instead of
// overflowing to infinity.
inline std::uint16_t scale_to_half(float x) {
    const std::uint16_t h = fp32_to_fp16(x);
    return (h & 0x7FFFu) == 0x7C00u ? static_cast<std::uint16_t>((h & 0x8000u) | 0x7BFFu) : h;
}
inline float round_to_half(float x) { return fp16_to_fp32(scale_to_half(x)); }
inline float keep_float(float x) { return x; }

struct Fit {
    float scale = 0.0f;
    float offset = 0.0f;  // affine fits only: value = scale * q + offset
    double error = std::numeric_limits<double>::infinity();
};

// value = scale * q with q an integer in [qmin, qmax] (qmin < 0 < qmax). `store` maps a candidate scale
// to what the block can hold (round_to_half, or keep_float when scales are quantized later).
template <class Store>
Fit fit_symmetric(std::span<const float> x, int qmin, int qmax, Store store) {
    float extreme = 0.0f;
    for (float v : x)
        if (std::fabs(v) > std::fabs(extreme)) extreme = v;
    if (extreme == 0.0f) return {0.0f, 0.0f, 0.0};
    Fit best;
    auto error_of = [&](float scale) {
        double e = 0.0;
        for (float v : x) {
            const int q = scale == 0.0f ? 0 : std::clamp(nearest_int(v / scale), qmin, qmax);
            const double r = static_cast<double>(v) - static_cast<double>(scale * static_cast<float>(q));
            e += r * r;
        }
        return e;
    };
    auto consider = [&](float scale) {
        scale = store(scale);
        const double e = error_of(scale);
        if (e < best.error) best = {scale, 0.0f, e};
    };
    for (int end : {qmin, qmax}) {
        for (int step = -10; step <= 10; ++step) {
            const float target = static_cast<float>(end) + 0.1f * static_cast<float>(step);
            if (std::fabs(target) < 0.5f) continue;
            const float scale = extreme / target;
            consider(scale);
            // Least-squares scale for the grid points this candidate chose.
            double xq = 0.0, qq = 0.0;
            for (float v : x) {
                const int q = std::clamp(nearest_int(v / scale), qmin, qmax);
                xq += static_cast<double>(v) * q;
                qq += static_cast<double>(q) * q;
            }
            if (qq > 0.0) consider(static_cast<float>(xq / qq));
        }
    }
    return best;
}

// value = scale * q + offset with q in [0, qmax]; `offset_at_most_zero` for the K-quants, whose
// blocks subtract a non-negative min. `store` maps candidates to what the block holds.
template <class Store>
Fit fit_affine(std::span<const float> x, int qmax, bool offset_at_most_zero, Store store) {
    float lo = x[0], hi = x[0];
    for (float v : x) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (offset_at_most_zero) lo = std::min(lo, 0.0f);
    if (hi == lo) return {0.0f, store(lo), 0.0};
    Fit best;
    auto quant = [&](float v, float scale, float offset) {
        return scale == 0.0f ? 0 : std::clamp(nearest_int((v - offset) / scale), 0, qmax);
    };
    auto consider = [&](float scale, float offset) {
        if (offset_at_most_zero) offset = std::min(offset, 0.0f);
        scale = store(scale);
        offset = store(offset);
        double e = 0.0;
        for (float v : x) {
            const auto q = static_cast<float>(quant(v, scale, offset));
            const double r = static_cast<double>(v) - static_cast<double>(scale * q + offset);
            e += r * r;
        }
        if (e < best.error) best = {scale, offset, e};
    };
    for (int step = -5; step <= 15; ++step) {
        const float scale = (hi - lo) / (static_cast<float>(qmax) + 0.1f * static_cast<float>(step));
        consider(scale, lo);
        // Least-squares scale and offset for the grid points this candidate chose.
        double n = 0, sq = 0, sqq = 0, sx = 0, sxq = 0;
        for (float v : x) {
            const double q = quant(v, scale, lo);
            n += 1;
            sq += q;
            sqq += q * q;
            sx += v;
            sxq += v * q;
        }
        const double det = n * sqq - sq * sq;
        if (det <= 0.0) continue;
        double s = (n * sxq - sq * sx) / det;
        double o = (sx - s * sq) / n;
        if (offset_at_most_zero && o > 0.0) {
            o = 0.0;
            s = sqq > 0.0 ? sxq / sqq : 0.0;
        }
        if (s > 0.0) consider(static_cast<float>(s), static_cast<float>(o));
    }
    return best;
}

// value = scale * table[c], c an index into the 16 table entries (sorted ascending).
inline int nearest_entry(const std::int8_t (&table)[16], float v) {
    int best = 0;
    for (int c = 1; c < 16; ++c)
        if (std::fabs(v - table[c]) < std::fabs(v - table[best])) best = c;
    return best;
}

template <class Store>
Fit fit_table(std::span<const float> x, const std::int8_t (&table)[16], Store store) {
    float extreme = 0.0f;
    for (float v : x)
        if (std::fabs(v) > std::fabs(extreme)) extreme = v;
    if (extreme == 0.0f) return {0.0f, 0.0f, 0.0};
    Fit best;
    auto consider = [&](float scale) {
        scale = store(scale);
        if (!(scale != 0.0f)) return;
        double e = 0.0;
        for (float v : x) {
            const double r = static_cast<double>(v) - static_cast<double>(scale * table[nearest_entry(table, v / scale)]);
            e += r * r;
        }
        if (e < best.error) best = {scale, 0.0f, e};
    };
    for (int end : {static_cast<int>(table[0]), static_cast<int>(table[15])}) {
        for (int step = -10; step <= 10; ++step) {
            const float scale = extreme / (static_cast<float>(end) * (1.0f + 0.02f * static_cast<float>(step)));
            consider(scale);
            double xv = 0.0, vv = 0.0;
            for (float v : x) {
                const double t = table[nearest_entry(table, v / scale)];
                xv += v * t;
                vv += t * t;
            }
            if (vv > 0.0) consider(static_cast<float>(xv / vv));
        }
    }
    if (best.error == std::numeric_limits<double>::infinity()) {  // every candidate underflowed to zero
        best = {0.0f, 0.0f, 0.0};
        for (float v : x) best.error += static_cast<double>(v) * v;
    }
    return best;
}

}  // namespace gguf::dequant::detail
