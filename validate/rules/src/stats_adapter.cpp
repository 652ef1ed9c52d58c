#include "stats_adapter.hpp"

#include "gguf/stats.hpp"

namespace gguf::rules {

std::optional<ValueStats> value_stats(const TensorView& view, int threads,
                                      const std::function<void(std::uint64_t)>& progress) {
    dequant::StatsOptions options;
    options.threads = threads;
    options.extreme_rows = 1;  // the rules look at the largest row only
    options.linear_bins = 1;   // and never at the linear histogram
    options.progress = progress;
    auto computed = dequant::compute_stats(view, options);
    if (!computed || !computed->supported) return std::nullopt;
    const dequant::TensorStats& t = *computed;
    ValueStats s;
    s.count = t.count;
    s.nan = t.nan_count;
    s.inf = t.inf_count();
    s.zeros = t.zero_count;
    if (t.finite_count > 0) {
        s.min = t.min;
        s.max = t.max;
        s.mean = t.mean;
        s.std = t.std;
        s.rms = t.rms;
    }
    s.n_rows = t.n_rows;
    s.zero_rows = t.zero_rows;
    if (!t.largest_rms_rows.empty()) {
        s.max_row_rms = t.largest_rms_rows.front().rms;
        s.max_row = t.largest_rms_rows.front().row;
    }
    s.codes = t.codes;
    return s;
}

}  // namespace gguf::rules
