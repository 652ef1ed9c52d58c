#include "stats_accumulate.hpp"

#include <algorithm>
#include <cmath>

#include "gguf/float_formats.hpp"
#include "simd.hpp"

// Statistics need not match ggml bit for bit, so their AVX2 code may fuse multiply-adds.
#define GGUF_AVX2_FMA __attribute__((target("avx2,fma")))

namespace gguf::dequant::detail {

void Moments::merge(const Moments& other) {
    if (other.n == 0) return;
    if (n == 0) {
        *this = other;
        return;
    }
    const double total = static_cast<double>(n + other.n);
    const double delta = other.mean - mean;
    mean += delta * static_cast<double>(other.n) / total;
    m2 += other.m2 + delta * delta * static_cast<double>(n) * static_cast<double>(other.n) / total;
    n += other.n;
}

Moments RunSums::moments() const {
    if (n_finite == 0) return {};
    const double count = static_cast<double>(n_finite);
    // s2 - s1^2/n is the sum of squared deviations from the run's mean (>= 0 up to rounding).
    return {n_finite, shift + s1 / count, std::max(0.0, s2 - s1 * s1 / count)};
}

void accumulate_scalar(const float* x, std::size_t n, RunSums& run, std::uint64_t* histogram) {
    for (std::size_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (std::isnan(v)) {
            ++run.nan;
            continue;
        }
        if (std::isinf(v)) {
            ++(v > 0 ? run.pos_inf : run.neg_inf);
            continue;
        }
        ++run.n_finite;
        if (v == 0.0f) ++run.zeros;
        run.min = std::min(run.min, v);
        run.max = std::max(run.max, v);
        const double d = static_cast<double>(v) - run.shift;
        run.s1 += d;
        run.s2 += d * d;
        ++histogram[float_to_bits(v) >> 16];
    }
}

GGUF_AVX2_FMA std::size_t accumulate_finite_avx2(const float* x, std::size_t n, RunSums& run, std::uint64_t* histogram) {
    const __m256i magnitude_mask = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i largest_finite = _mm256_set1_epi32(0x7F7FFFFF);
    const __m256d shift = _mm256_set1_pd(run.shift);
    __m256 low = _mm256_set1_ps(run.min), high = _mm256_set1_ps(run.max);
    __m256d s1a = _mm256_setzero_pd(), s1b = _mm256_setzero_pd();
    __m256d s2a = _mm256_setzero_pd(), s2b = _mm256_setzero_pd();
    __m256i zeros = _mm256_setzero_si256();
    alignas(32) std::uint32_t bins[8];
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256i bits = _mm256_castps_si256(v);
        const __m256i magnitude = _mm256_and_si256(bits, magnitude_mask);
        if (_mm256_movemask_epi8(_mm256_cmpgt_epi32(magnitude, largest_finite)) != 0) break;
        zeros = _mm256_sub_epi32(zeros, _mm256_cmpeq_epi32(magnitude, _mm256_setzero_si256()));
        low = _mm256_min_ps(low, v);
        high = _mm256_max_ps(high, v);
        const __m256d a = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), shift);
        const __m256d b = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), shift);
        s1a = _mm256_add_pd(s1a, a);
        s1b = _mm256_add_pd(s1b, b);
        s2a = _mm256_fmadd_pd(a, a, s2a);
        s2b = _mm256_fmadd_pd(b, b, s2b);
        _mm256_store_si256(reinterpret_cast<__m256i*>(bins), _mm256_srli_epi32(bits, 16));
        for (int k = 0; k < 8; ++k) ++histogram[bins[k]];
    }
    if (i == 0) return 0;
    alignas(32) float lows[8], highs[8];
    alignas(32) double s1[4], s2[4];
    alignas(32) std::uint32_t zero_counts[8];
    _mm256_store_ps(lows, low);
    _mm256_store_ps(highs, high);
    _mm256_store_pd(s1, _mm256_add_pd(s1a, s1b));
    _mm256_store_pd(s2, _mm256_add_pd(s2a, s2b));
    _mm256_store_si256(reinterpret_cast<__m256i*>(zero_counts), zeros);
    for (int k = 0; k < 8; ++k) {
        run.min = std::min(run.min, lows[k]);
        run.max = std::max(run.max, highs[k]);
        run.zeros += zero_counts[k];
    }
    run.s1 += (s1[0] + s1[1]) + (s1[2] + s1[3]);
    run.s2 += (s2[0] + s2[1]) + (s2[2] + s2[3]);
    run.n_finite += i;
    return i;
}

void accumulate(const float* x, std::size_t n, RunSums& run, std::uint64_t* histogram, bool use_simd) {
    std::size_t done = 0;
    if (use_simd && simd_enabled()) done = accumulate_finite_avx2(x, n, run, histogram);
    accumulate_scalar(x + done, n - done, run, histogram);
}

void ScaleAccumulator::add_blocks(const std::byte* blocks, std::size_t n_blocks, std::size_t block_bytes) {
    RunSums run;
    bool shifted = false;
    for (std::size_t b = 0; b < n_blocks; ++b) {
        const std::byte* block = blocks + b * block_bytes;
        const float v = read_scale(block, field);
        ++count;
        if (std::isnan(v)) {
            ++nan;
            continue;
        }
        if (std::isinf(v)) {
            ++inf;
            continue;
        }
        if (v == 0.0f) ++zero;
        if (v < 0.0f) ++negative;
        if (field.format == ScaleFormat::f16 && v != 0.0f && std::fabs(v) < 0x1p-14f) ++subnormal;
        if (!shifted) {
            run.shift = v;
            shifted = true;
        }
        ++run.n_finite;
        const double d = static_cast<double>(v) - run.shift;
        run.s1 += d;
        run.s2 += d * d;
        min = std::min(min, static_cast<double>(v));
        max = std::max(max, static_cast<double>(v));
    }
    finite.merge(run.moments());
}

void ScaleAccumulator::merge(const ScaleAccumulator& other) {
    count += other.count;
    nan += other.nan;
    inf += other.inf;
    zero += other.zero;
    subnormal += other.subnormal;
    negative += other.negative;
    finite.merge(other.finite);
    min = std::min(min, other.min);
    max = std::max(max, other.max);
}

}  // namespace gguf::dequant::detail
