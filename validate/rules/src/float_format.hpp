// Which float format a tensor's bytes really hold. Weights have a recognisable magnitude profile:
// finite, signed, a median magnitude between 1e-6 and 256, and magnitudes spread over a couple of
// binades (a Gaussian's |x| has an interquartile range of 1.85 binades in log2). Reading F16 bytes as
// BF16 makes every value ~1e-16; BF16 bytes read as F16 land in [0.75, 1.4] (spread ~0.4 binades);
// byte-swapped data takes its exponent from mantissa bits, so it is spread over the whole range with
// NaN and Inf. A sample of raw words, histogrammed once, gives the profile under every reading.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gguf/container.hpp"

namespace gguf::rules {

enum class FloatReading : std::uint8_t { f32, f16, bf16, f32_swapped, f16_swapped, bf16_swapped };
std::string_view reading_name(FloatReading r);  // "F32", "F16 byte-swapped", ...

struct MagnitudeProfile {
    std::uint64_t n = 0;
    double non_finite_fraction = 0;
    double zero_fraction = 0;
    double negative_fraction = 0;   // among non-zero finite values
    double median_log2 = 0;         // of |x| over non-zero finite values
    double spread_log2 = 0;         // interquartile range of log2|x| over the same
};

// Looks like trained or freshly initialized weight-matrix values.
bool plausible_matrix(const MagnitudeProfile& p);

struct FloatFormatSample {
    FloatReading declared = FloatReading::f32;
    std::vector<std::pair<FloatReading, MagnitudeProfile>> readings;  // declared first

    const MagnitudeProfile& declared_profile() const { return readings.front().second; }
};

// Samples up to `max_words` words of an F32/F16/BF16 tensor in evenly spaced runs; nullopt for other
// types. The alternatives: for F16 and BF16 the other 16-bit format and both byte-swapped readings; for
// F32, the byte-swapped reading.
std::optional<FloatFormatSample> sample_float_format(const TensorView& view, std::uint64_t max_words = 1u << 13);

}  // namespace gguf::rules
