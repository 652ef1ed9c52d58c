#include "gguf/forward/compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gguf::forward {
namespace {

// log(sum exp(x)) and the argmax of one row, in double; nullopt-like (-inf max) when not finite.
struct RowSummary {
    double max = -std::numeric_limits<double>::infinity();
    double log_sum = 0;
    std::uint64_t argmax = 0;
    bool finite = true;
};

RowSummary summarize(std::span<const float> row) {
    RowSummary s;
    for (std::size_t i = 0; i < row.size(); ++i) {
        if (!std::isfinite(row[i])) s.finite = false;
        if (row[i] > s.max) {
            s.max = row[i];
            s.argmax = i;
        }
    }
    double z = 0;
    for (const float x : row) z += std::exp(static_cast<double>(x) - s.max);
    s.log_sum = std::log(z);
    return s;
}

}  // namespace

LogitsAgreement compare_logits(const Logits& reference, const Logits& candidate) {
    LogitsAgreement a;
    if (reference.n_tokens != candidate.n_tokens || reference.n_vocab != candidate.n_vocab ||
        reference.values.size() != candidate.values.size() || reference.n_tokens * reference.n_vocab != reference.values.size())
        return a;
    a.positions = reference.n_tokens;
    double sum_kl = 0;
    for (std::uint64_t t = 0; t < reference.n_tokens; ++t) {
        const auto r = reference.row(t), c = candidate.row(t);
        const RowSummary rs = summarize(r), cs = summarize(c);
        if (!rs.finite || !cs.finite) {
            ++a.argmax_mismatches;
            a.max_abs_diff = a.max_kl = sum_kl = std::numeric_limits<double>::infinity();
            continue;
        }
        if (rs.argmax != cs.argmax) ++a.argmax_mismatches;
        double kl = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
            a.max_abs_diff = std::max(a.max_abs_diff, std::fabs(static_cast<double>(c[i]) - r[i]));
            a.max_abs_reference = std::max(a.max_abs_reference, std::fabs(static_cast<double>(r[i])));
            const double log_p = r[i] - rs.max - rs.log_sum, log_q = c[i] - cs.max - cs.log_sum;
            kl += std::exp(log_p) * (log_p - log_q);
        }
        kl = std::max(0.0, kl);  // rounding can leave a tiny negative sum for identical rows
        sum_kl += kl;
        a.max_kl = std::max(a.max_kl, kl);
    }
    a.mean_kl = a.positions ? sum_kl / static_cast<double>(a.positions) : 0;
    a.relative_diff = a.max_abs_reference > 0 ? a.max_abs_diff / a.max_abs_reference : a.max_abs_diff;
    return a;
}

}  // namespace gguf::forward
