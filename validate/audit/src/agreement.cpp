// Element comparison: the tolerance, the plain agreement of two arrays, and the fit of a hypothesis.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor_context.hpp"

namespace gguf::audit {

std::string_view status_name(TensorStatus status) {
    switch (status) {
        case TensorStatus::match: return "match";
        case TensorStatus::mismatch: return "mismatch";
        case TensorStatus::missing: return "missing";
        case TensorStatus::extra: return "extra";
        case TensorStatus::unreadable: return "unreadable";
    }
    return "?";
}

Tolerance default_tolerance(bool float16_dump, double max_abs_reference) {
    if (float16_dump) return {1e-3, std::max(1e-6 * max_abs_reference, std::ldexp(1.0, -24))};
    return {1e-5, 1e-6 * max_abs_reference};
}

Agreement compare_values(std::span<const float> reference, std::span<const float> theirs, const Tolerance& tolerance,
                         int threads) {
    const std::uint64_t n = std::min(reference.size(), theirs.size());
    struct Partial {
        std::uint64_t within = 0;
        std::uint64_t first_mismatch = std::numeric_limits<std::uint64_t>::max();
        double max_abs_diff = 0;
        std::uint64_t max_index = 0;
        double max_ref = 0, diff2 = 0, ref2 = 0, their2 = 0, dot = 0;
    };
    const int n_threads = threads > 0 ? threads : omp_get_max_threads();
    std::vector<Partial> partials(static_cast<std::size_t>(n_threads));
#pragma omp parallel num_threads(n_threads)
    {
        Partial& p = partials[static_cast<std::size_t>(omp_get_thread_num())];
#pragma omp for schedule(static)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(n); ++k) {
            const auto i = static_cast<std::uint64_t>(k);
            const double r = reference[i], u = theirs[i];
            if (detail::agrees(r, u, tolerance)) ++p.within;
            else p.first_mismatch = std::min(p.first_mismatch, i);
            if (std::isfinite(r)) p.max_ref = std::max(p.max_ref, std::fabs(r));
            if (!std::isfinite(r) || !std::isfinite(u)) continue;
            const double d = std::fabs(u - r);
            if (d > p.max_abs_diff) {
                p.max_abs_diff = d;
                p.max_index = i;
            }
            p.diff2 += d * d;
            p.ref2 += r * r;
            p.their2 += u * u;
            p.dot += r * u;
        }
    }
    Agreement a;
    a.compared = n;
    a.first_mismatch = n;
    double diff2 = 0, ref2 = 0, their2 = 0, dot = 0;
    for (const Partial& p : partials) {  // in thread order, so the result does not depend on timing
        a.within += p.within;
        a.first_mismatch = std::min(a.first_mismatch, p.first_mismatch);
        if (p.max_abs_diff > a.max_abs_diff) {
            a.max_abs_diff = p.max_abs_diff;
            a.max_abs_diff_index = p.max_index;
        }
        a.max_abs_reference = std::max(a.max_abs_reference, p.max_ref);
        diff2 += p.diff2;
        ref2 += p.ref2;
        their2 += p.their2;
        dot += p.dot;
    }
    a.relative_rms = ref2 > 0 ? std::sqrt(diff2 / ref2) : (diff2 > 0 ? INFINITY : 0.0);
    a.cosine = ref2 > 0 && their2 > 0 ? dot / std::sqrt(ref2 * their2) : (ref2 == their2 ? 1.0 : 0.0);
    return a;
}

namespace detail {

Fit fit(const Subject& s, std::span<const float> predicted, std::uint64_t offset) {
    Fit f;
    if (offset >= s.theirs.size()) return f;
    const std::uint64_t n = std::min<std::uint64_t>(predicted.size(), s.theirs.size() - offset);
    f.compared = n;
    for (std::uint64_t i = 0; i < n; ++i) {
        const float u = s.theirs[offset + i];
        if (std::isfinite(predicted[i]) && std::isfinite(u)) {
            const double d = static_cast<double>(predicted[i]) - u;
            f.diff2 += d * d;
            f.their2 += static_cast<double>(u) * u;
        }
        if (!agrees(predicted[i], u, s.tolerance)) continue;
        ++f.within;
        const std::uint64_t j = offset + i;
        if (j >= s.reference.size() || !agrees(s.reference[j], u, s.tolerance)) ++f.explained;
    }
    return f;
}

bool explains(const Subject& s, const Fit& f) {
    const std::uint64_t size = std::max<std::uint64_t>(s.reference.size(), s.theirs.size());
    const double relative = f.their2 > 0 ? std::sqrt(f.diff2 / f.their2) : (f.diff2 > 0 ? INFINITY : 0.0);
    return f.compared > 0 && 2 * f.compared >= std::min<std::uint64_t>(size, s.theirs.size()) &&
           f.within * 1000 >= f.compared * 999 && f.explained > 0 && relative <= 0.01;
}

}  // namespace detail
}  // namespace gguf::audit
