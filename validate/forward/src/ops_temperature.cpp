#include "gguf/forward/ops_temperature.hpp"

#include <cmath>
#include <stdexcept>

namespace gguf::forward::ops {

float attention_temperature(std::int64_t position, float scale, std::uint64_t interval) {
    if (interval == 0) throw std::invalid_argument("attention_temperature: the interval must be positive");
    const float steps = std::floor(static_cast<float>(position) / static_cast<float>(interval));
    return static_cast<float>(std::log(static_cast<double>(steps) + 1.0) * static_cast<double>(scale) + 1.0);
}

void scale_by_temperature(std::span<float> x, std::size_t width, std::span<const std::int64_t> positions, float scale,
                          std::uint64_t interval) {
    if (width == 0 || x.size() != positions.size() * width)
        throw std::invalid_argument("scale_by_temperature: one row of `width` values per position");
    for (std::size_t t = 0; t < positions.size(); ++t) {
        const float factor = attention_temperature(positions[t], scale, interval);
        for (std::size_t i = 0; i < width; ++i) x[t * width + i] *= factor;
    }
}

}  // namespace gguf::forward::ops
