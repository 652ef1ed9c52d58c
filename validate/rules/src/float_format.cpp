#include "float_format.hpp"

#include "gguf/float_formats.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace gguf::rules {
namespace {

constexpr std::uint16_t swap16(std::uint16_t v) { return static_cast<std::uint16_t>((v >> 8) | (v << 8)); }

// Exact conversions shared with the dequantizers (integer arithmetic, no libm).
float f16_to_float(std::uint16_t h) { return fp16_to_fp32(h); }

float bf16_to_float(std::uint16_t b) { return bf16_to_fp32(b); }

// Log2 magnitudes in 1/16-binade bins, taken straight from the float's bits: the 8 exponent bits and
// the top 4 mantissa bits (a linear approximation of log2 within a binade, off by at most 0.09 binade).
constexpr int kBinsPerBinade = 16;
constexpr int kLogBins = 256 * kBinsPerBinade;

class ProfileBuilder {
public:
    void add(float v, std::uint64_t count) {
        n_ += count;
        if (!std::isfinite(v)) {
            non_finite_ += count;
            return;
        }
        if (v == 0) {
            zero_ += count;
            return;
        }
        if (v < 0) negative_ += count;
        const std::uint32_t bits = std::bit_cast<std::uint32_t>(v) & 0x7fffffffu;
        log_bins_[bits >> 19] += count;
        nonzero_ += count;
    }

    MagnitudeProfile build() const {
        MagnitudeProfile p;
        p.n = n_;
        if (!n_) return p;
        p.non_finite_fraction = static_cast<double>(non_finite_) / static_cast<double>(n_);
        p.zero_fraction = static_cast<double>(zero_) / static_cast<double>(n_);
        if (!nonzero_) return p;
        p.negative_fraction = static_cast<double>(negative_) / static_cast<double>(nonzero_);
        const double q1 = quantile(0.25), q2 = quantile(0.5), q3 = quantile(0.75);
        p.median_log2 = q2;
        p.spread_log2 = q3 - q1;
        return p;
    }

private:
    double quantile(double q) const {
        const double target = q * static_cast<double>(nonzero_);
        double seen = 0;
        for (int i = 0; i < kLogBins; ++i) {
            const double c = static_cast<double>(log_bins_[static_cast<std::size_t>(i)]);
            if (c > 0 && seen + c >= target) {
                const double within = (target - seen) / c;  // linear inside the bin
                return (i + within) / kBinsPerBinade - 127.0;
            }
            seen += c;
        }
        return 128.0;
    }

    std::uint64_t n_ = 0, non_finite_ = 0, zero_ = 0, negative_ = 0, nonzero_ = 0;
    std::array<std::uint64_t, kLogBins> log_bins_{};
};

// Upper 16 bits of an F32 value carry its sign, whole exponent and 7 mantissa bits: the BF16 truncation
// profiles it to within 1% in magnitude, which is all a profile needs.
struct WordCount {
    std::uint16_t word;
    std::uint64_t count;
};

// Counts sampled words; remembers each distinct word once, so each reading decodes only those (at
// most the sample size) instead of all 65536.
class WordHistogram {
public:
    WordHistogram() : counts_(1u << 16, 0) {}
    void add(std::uint16_t w) {
        if (counts_[w]++ == 0) distinct_.push_back(w);
    }
    std::vector<WordCount> words() const {
        std::vector<WordCount> out;
        out.reserve(distinct_.size());
        for (std::uint16_t w : distinct_) out.push_back({w, counts_[w]});
        return out;
    }

private:
    std::vector<std::uint32_t> counts_;
    std::vector<std::uint16_t> distinct_;
};

MagnitudeProfile profile_16(const std::vector<WordCount>& words, float (*decode)(std::uint16_t), bool swapped) {
    ProfileBuilder b;
    for (const auto& [word, count] : words) b.add(decode(swapped ? swap16(word) : word), count);
    return b.build();
}

template <class F>
void for_each_sampled_run(std::uint64_t n_words, std::uint64_t max_words, F&& run) {
    constexpr std::uint64_t kRun = 1024;
    if (n_words <= max_words) {
        run(0, n_words);
        return;
    }
    const std::uint64_t runs = std::max<std::uint64_t>(1, max_words / kRun);
    for (std::uint64_t r = 0; r < runs; ++r) {
        const std::uint64_t start = (n_words - kRun) * r / std::max<std::uint64_t>(1, runs - 1);
        run(start, kRun);
    }
}

}  // namespace

std::string_view reading_name(FloatReading r) {
    switch (r) {
        case FloatReading::f32: return "F32";
        case FloatReading::f16: return "F16";
        case FloatReading::bf16: return "BF16";
        case FloatReading::f32_swapped: return "F32 byte-swapped";
        case FloatReading::f16_swapped: return "F16 byte-swapped";
        case FloatReading::bf16_swapped: return "BF16 byte-swapped";
    }
    return "?";
}

bool plausible_matrix(const MagnitudeProfile& p) {
    if (p.n == 0 || p.non_finite_fraction > 0) return false;
    if (p.zero_fraction > 0.99) return false;
    return p.median_log2 >= -20 && p.median_log2 <= 8 && p.spread_log2 >= 0.8 && p.spread_log2 <= 6 &&
           p.negative_fraction >= 0.2 && p.negative_fraction <= 0.8;
}

std::optional<FloatFormatSample> sample_float_format(const TensorView& view, std::uint64_t max_words) {
    if (!view.info) return std::nullopt;
    const auto type = static_cast<TypeId>(view.info->type);
    if (type != TypeId::F32 && type != TypeId::F16 && type != TypeId::BF16) return std::nullopt;
    const bool big = view.order == ByteOrder::big;
    const std::byte* data = view.bytes.data();

    // One sample of 16-bit words (in the file's byte order) serves every reading.
    WordHistogram declared;
    if (type == TypeId::F32) {
        WordHistogram swapped;
        for_each_sampled_run(view.bytes.size() / 4, max_words, [&](std::uint64_t start, std::uint64_t count) {
            for (std::uint64_t i = start; i < start + count; ++i) {
                std::uint32_t raw;
                std::memcpy(&raw, data + i * 4, 4);
                const std::uint32_t value = big ? gguf::byteswap(raw) : raw;
                declared.add(static_cast<std::uint16_t>(value >> 16));
                swapped.add(static_cast<std::uint16_t>(gguf::byteswap(value) >> 16));
            }
        });
        FloatFormatSample s;
        s.declared = FloatReading::f32;
        s.readings.emplace_back(FloatReading::f32, profile_16(declared.words(), bf16_to_float, false));
        s.readings.emplace_back(FloatReading::f32_swapped, profile_16(swapped.words(), bf16_to_float, false));
        return s;
    }
    for_each_sampled_run(view.bytes.size() / 2, max_words, [&](std::uint64_t start, std::uint64_t count) {
        for (std::uint64_t i = start; i < start + count; ++i) {
            std::uint16_t raw;
            std::memcpy(&raw, data + i * 2, 2);
            declared.add(big ? swap16(raw) : raw);
        }
    });
    FloatFormatSample s;
    const std::vector<WordCount> words = declared.words();
    const bool is_f16 = type == TypeId::F16;
    s.declared = is_f16 ? FloatReading::f16 : FloatReading::bf16;
    const auto add = [&](FloatReading r) {
        const bool swapped = r == FloatReading::f16_swapped || r == FloatReading::bf16_swapped;
        const bool f16 = r == FloatReading::f16 || r == FloatReading::f16_swapped;
        s.readings.emplace_back(r, profile_16(words, f16 ? f16_to_float : bf16_to_float, swapped));
    };
    add(s.declared);
    add(is_f16 ? FloatReading::bf16 : FloatReading::f16);
    add(is_f16 ? FloatReading::f16_swapped : FloatReading::bf16_swapped);
    add(is_f16 ? FloatReading::bf16_swapped : FloatReading::f16_swapped);
    return s;
}

}  // namespace gguf::rules
