#include <algorithm>
#include <cmath>
#include <limits>

#include "trace_detail.hpp"

namespace gguf::audit::detail {
namespace {

double relative(double a, double b, double scale) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0.0 : INFINITY;
    if (a == b) return 0.0;
    return std::fabs(a - b) / scale;
}

}  // namespace

ActivationDifference compare_activation(std::span<const float> values, const std::vector<std::uint64_t>& shape,
                                        const forward::TraceRecord& theirs, std::span<const float> their_values) {
    ActivationDifference d;
    forward::Trace summarizer({.first_values = theirs.first.size(), .keep_values = false});
    summarizer.record(theirs.layer, theirs.op, shape, values);
    d.summary = summarizer.records().front();
    const forward::TraceRecord& ours = d.summary;
    const auto note = [&](double deviation, std::string what) {
        if (deviation > d.deviation || (std::isnan(deviation) && !std::isnan(d.deviation))) {
            d.deviation = std::isnan(deviation) ? INFINITY : deviation;
            d.worst = std::move(what);
        }
    };
    if (ours.shape != theirs.shape) {
        note(INFINITY, "shape");
        return d;
    }
    if (ours.non_finite != theirs.non_finite) note(INFINITY, "non_finite");
    const double tiny = std::numeric_limits<float>::min();
    const double rms = std::max(ours.rms, tiny);
    const double magnitude = std::max({std::fabs(ours.min), std::fabs(ours.max), tiny});
    note(relative(theirs.rms, ours.rms, rms), "rms");
    note(relative(theirs.mean, ours.mean, rms), "mean");
    note(relative(theirs.min, ours.min, magnitude), "min");
    note(relative(theirs.max, ours.max, magnitude), "max");
    for (std::size_t i = 0; i < theirs.first.size() && i < ours.first.size(); ++i)
        note(relative(theirs.first[i], ours.first[i], std::max<double>(rms, std::fabs(ours.first[i]))),
             "first[" + std::to_string(i) + "]");
    if (!their_values.empty()) {
        if (their_values.size() != values.size()) {
            note(INFINITY, "values");
            return d;
        }
        double diff2 = 0, ref2 = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double a = values[i], b = their_values[i];
            if (!std::isfinite(a) || !std::isfinite(b)) {
                if (!(std::isnan(a) && std::isnan(b)) && a != b) note(INFINITY, "values");
                continue;
            }
            diff2 += (a - b) * (a - b);
            ref2 += a * a;
            d.max_abs_diff = std::max(d.max_abs_diff, std::fabs(a - b));
        }
        d.relative_rms = ref2 > 0 ? std::sqrt(diff2 / ref2) : (diff2 > 0 ? INFINITY : 0.0);
        note(d.relative_rms, "values");
    }
    return d;
}

}  // namespace gguf::audit::detail
