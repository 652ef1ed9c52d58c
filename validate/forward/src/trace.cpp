#include "gguf/forward/trace.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gguf::forward {

void Trace::record(std::int32_t layer, std::string_view op, std::vector<std::uint64_t> shape, std::span<const float> data) {
    TraceRecord r;
    r.layer = layer;
    r.op = std::string(op);
    r.shape = std::move(shape);
    // Statistics in double so that they do not depend on summation order at float precision.
    double sum = 0, sum_squares = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::uint64_t finite = 0;
    for (const float f : data) {
        if (!std::isfinite(f)) {
            ++r.non_finite;
            continue;
        }
        ++finite;
        const double x = f;
        sum += x;
        sum_squares += x * x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
    }
    if (finite > 0) {
        const auto n = static_cast<double>(finite);
        r.min = lo;
        r.max = hi;
        r.mean = sum / n;
        r.rms = std::sqrt(sum_squares / n);
    }
    r.first.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(std::min(options_.first_values, data.size())));
    if (options_.keep_values) r.values.assign(data.begin(), data.end());
    records_.push_back(std::move(r));
}

const TraceRecord* Trace::find(std::int32_t layer, std::string_view op) const {
    for (const auto& r : records_)
        if (r.layer == layer && r.op == op) return &r;
    return nullptr;
}

}  // namespace gguf::forward
