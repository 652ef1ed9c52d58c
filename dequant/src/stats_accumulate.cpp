#include "stats_accumulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks.hpp"
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

void accumulate_scalar(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram) {
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
        if (histogram) ++histogram[float_to_bits(v) >> 16];
    }
}

#if GGUF_DEQUANT_X86
// Moments and extremes of 8 values into the vector accumulators.
struct Lanes {
    __m256 low, high;
    __m256d s1a, s1b, s2a, s2b;
    __m256i zeros;
};

GGUF_AVX2_FMA inline void add8(Lanes& l, __m256 v, __m256i magnitude, __m256d shift) {
    l.zeros = _mm256_sub_epi32(l.zeros, _mm256_cmpeq_epi32(magnitude, _mm256_setzero_si256()));
    l.low = _mm256_min_ps(l.low, v);
    l.high = _mm256_max_ps(l.high, v);
    const __m256d a = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), shift);
    const __m256d b = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), shift);
    l.s1a = _mm256_add_pd(l.s1a, a);
    l.s1b = _mm256_add_pd(l.s1b, b);
    l.s2a = _mm256_fmadd_pd(a, a, l.s2a);
    l.s2b = _mm256_fmadd_pd(b, b, l.s2b);
}

GGUF_AVX2_FMA std::size_t accumulate_finite_avx2(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram) {
    const __m256i magnitude_mask = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256i largest_finite = _mm256_set1_epi32(0x7F7FFFFF);
    const __m256d shift = _mm256_set1_pd(run.shift);
    Lanes l{_mm256_set1_ps(run.min), _mm256_set1_ps(run.max), _mm256_setzero_pd(), _mm256_setzero_pd(),
            _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_si256()};
    // Moments, 16 values a round, up to the first round holding a NaN or Inf.
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        const __m256i m0 = _mm256_and_si256(_mm256_castps_si256(v0), magnitude_mask);
        const __m256i m1 = _mm256_and_si256(_mm256_castps_si256(v1), magnitude_mask);
        const __m256i nonfinite = _mm256_or_si256(_mm256_cmpgt_epi32(m0, largest_finite), _mm256_cmpgt_epi32(m1, largest_finite));
        if (!_mm256_testz_si256(nonfinite, nonfinite)) break;
        add8(l, v0, m0, shift);
        add8(l, v1, m1, shift);
    }
    if (i == 0) return 0;
    // The fine histogram of the same values, read again from L1: a scalar scatter is cheaper than
    // extracting lanes.
    static_assert(16 % kHistogramCopies == 0);
    for (std::size_t k = 0; histogram && k < i; k += kHistogramCopies) {  // i is a multiple of 16
        for (std::size_t c = 0; c < kHistogramCopies; ++c) {
            std::uint32_t bits;
            std::memcpy(&bits, x + k + c, sizeof bits);
            ++histogram[c * kFineBins + (bits >> 16)];
        }
    }
    alignas(32) float lows[8], highs[8];
    alignas(32) double s1[4], s2[4];
    alignas(32) std::uint32_t zero_counts[8];
    _mm256_store_ps(lows, l.low);
    _mm256_store_ps(highs, l.high);
    _mm256_store_pd(s1, _mm256_add_pd(l.s1a, l.s1b));
    _mm256_store_pd(s2, _mm256_add_pd(l.s2a, l.s2b));
    _mm256_store_si256(reinterpret_cast<__m256i*>(zero_counts), l.zeros);
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

#endif  // GGUF_DEQUANT_X86

void accumulate(const float* x, std::size_t n, RunSums& run, std::uint32_t* histogram, bool use_simd) {
    std::size_t done = 0;
#if GGUF_DEQUANT_X86
    if (use_simd && simd_enabled()) done = accumulate_finite_avx2(x, n, run, histogram);
#else
    (void)use_simd;
#endif
    accumulate_scalar(x + done, n - done, run, histogram);
}

namespace {

// The scale of each block as float, in a form the loop below can inline.
template <ScaleFormat format>
float scale_of(const std::byte* field) {
    if constexpr (format == ScaleFormat::f16) return fp16_to_fp32(load_le<std::uint16_t>(field));
    else if constexpr (format == ScaleFormat::iq1m)
        return fp16_to_fp32(iq1m_scale_bits(reinterpret_cast<const std::uint8_t*>(field)));
    else if constexpr (format == ScaleFormat::ue4m3) return 2.0f * ue4m3_half(static_cast<std::uint8_t>(field[0]));
    else return e8m0_to_fp32(static_cast<std::uint8_t>(field[0]));
}

// The smallest normal scale of the format: a non-zero scale below it is counted as subnormal
// (E8M0 has no subnormals: 0).
template <ScaleFormat format>
constexpr float smallest_normal() {
    if constexpr (format == ScaleFormat::e8m0) return 0.0f;
    else if constexpr (format == ScaleFormat::ue4m3) return 0x1p-6f;
    else return 0x1p-14f;
}

#if GGUF_DEQUANT_X86
// The f16 at `field + k * stride` for k < n, converted by F16C eight at a time.
GGUF_AVX2 void gather_halves_f16c(const std::byte* field, std::size_t n, std::size_t stride, float* out) {
    alignas(16) std::uint16_t h[8];
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        for (int j = 0; j < 8; ++j) std::memcpy(&h[j], field + (k + j) * stride, 2);
        _mm256_storeu_ps(out + k, _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h))));
    }
    for (; k < n; ++k) out[k] = half_at(field + k * stride);
}

#endif  // GGUF_DEQUANT_X86

// The finite scales of one batch (non-finite ones only counted), summed like the values.
struct ScaleBatch {
    std::uint64_t finite = 0, nan = 0, inf = 0, zero = 0, negative = 0, subnormal = 0;
    float low = std::numeric_limits<float>::infinity(), high = -std::numeric_limits<float>::infinity();
    RunSums sums;
};

template <ScaleFormat format>
ScaleBatch sum_batch(float* v, std::size_t n) {
    ScaleBatch b;
    // Move the non-finite scales out of the way (rare), counting them.
    bool all_finite = true;
    for (std::size_t i = 0; i < n; ++i) all_finite &= (float_to_bits(v[i]) & 0x7F800000u) != 0x7F800000u;
    std::size_t kept = n;
    if (!all_finite) {
        kept = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (std::isfinite(v[i])) v[kept++] = v[i];
            else if (std::isnan(v[i])) ++b.nan;
            else ++b.inf;
        }
    }
    if (kept == 0) return b;
    b.sums.shift = v[0];
    accumulate(v, kept, b.sums, nullptr, true);
    std::uint64_t negative = 0, subnormal = 0;
    for (std::size_t i = 0; i < kept; ++i) {
        negative += v[i] < 0.0f;
        subnormal += v[i] != 0.0f && std::fabs(v[i]) < smallest_normal<format>();
    }
    b.finite = kept;
    b.zero = b.sums.zeros;
    b.negative = negative;
    b.subnormal = subnormal;
    b.low = b.sums.min;
    b.high = b.sums.max;
    return b;
}

template <ScaleFormat format>
void add_scales(ScaleAccumulator& a, const std::byte* blocks, std::size_t n_blocks, std::size_t block_bytes) {
    constexpr std::size_t kBatch = 256;
    float v[kBatch];
    for (std::size_t first = 0; first < n_blocks; first += kBatch) {
        const std::size_t n = std::min(kBatch, n_blocks - first);
        const std::byte* field = blocks + first * block_bytes + a.field.offset;
#if GGUF_DEQUANT_X86
        if (format == ScaleFormat::f16 && simd_enabled()) gather_halves_f16c(field, n, block_bytes, v);
        else
#endif
            for (std::size_t b = 0; b < n; ++b) v[b] = scale_of<format>(field + b * block_bytes);
        const ScaleBatch batch = sum_batch<format>(v, n);
        a.nan += batch.nan;
        a.inf += batch.inf;
        a.zero += batch.zero;
        a.negative += batch.negative;
        a.subnormal += batch.subnormal;
        a.finite.merge(batch.sums.moments());
        if (batch.finite) {
            a.min = std::min(a.min, static_cast<double>(batch.low));
            a.max = std::max(a.max, static_cast<double>(batch.high));
            // sum_batch moved the finite scales to the front of v.
            for (std::size_t k = 0; k < batch.finite; ++k) {
                const std::uint32_t bin = float_to_bits(v[k]) >> 16;
                auto& binade = a.binades[bin >> 7];
                if (binade.empty()) binade.assign(128, 0);
                ++binade[bin & 127];
            }
        }
    }
    a.count += n_blocks;
}

}  // namespace

void ScaleAccumulator::add_blocks(const std::byte* blocks, std::size_t n_blocks, std::size_t block_bytes) {
    switch (field.format) {
        case ScaleFormat::f16: return add_scales<ScaleFormat::f16>(*this, blocks, n_blocks, block_bytes);
        case ScaleFormat::e8m0: return add_scales<ScaleFormat::e8m0>(*this, blocks, n_blocks, block_bytes);
        case ScaleFormat::iq1m: return add_scales<ScaleFormat::iq1m>(*this, blocks, n_blocks, block_bytes);
        case ScaleFormat::ue4m3:
            // each of the `count` one-byte scales of a block, as if it were the block's only one
            for (std::uint8_t k = 0; k < field.count; ++k)
                add_scales<ScaleFormat::ue4m3>(*this, blocks + k, n_blocks, block_bytes);
            return;
    }
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
    for (std::size_t b = 0; b < binades.size(); ++b) {
        if (other.binades[b].empty()) continue;
        if (binades[b].empty()) binades[b].assign(128, 0);
        for (std::size_t i = 0; i < 128; ++i) binades[b][i] += other.binades[b][i];
    }
}

std::vector<std::pair<std::uint32_t, std::uint64_t>> ScaleAccumulator::fine_bins_ascending() const {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> out;
    // Binade b holds bins b * 128 + i. Negatives from the largest magnitude down (binades 510..256, i
    // descending), then the positives up (binades 0..254); 255 and 511 would be Inf and NaN.
    for (std::uint32_t b = 510; b >= 256; --b)
        if (!binades[b].empty())
            for (std::uint32_t i = 128; i-- > 0;)
                if (binades[b][i]) out.emplace_back(b * 128 + i, binades[b][i]);
    for (std::uint32_t b = 0; b <= 254; ++b)
        if (!binades[b].empty())
            for (std::uint32_t i = 0; i < 128; ++i)
                if (binades[b][i]) out.emplace_back(b * 128 + i, binades[b][i]);
    return out;
}

}  // namespace gguf::dequant::detail
